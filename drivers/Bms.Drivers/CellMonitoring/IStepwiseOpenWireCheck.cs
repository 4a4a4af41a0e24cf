namespace Bms.Drivers.CellMonitoring
{
    /// <summary>
    /// An <see cref="ICellMonitor.CheckOpenWires"/> in two halves for a monitor whose check waits long (the LTC681x:
    /// four open-wire conversions, 12.4 ms on an LTC6813): each half can run in its own scheduler poll, so no poll
    /// waits for the whole check. Scans may run between the halves. Begin, then Finish, gives the result of one
    /// <see cref="ICellMonitor.CheckOpenWires"/>.
    /// </summary>
    public interface IStepwiseOpenWireCheck
    {
        /// <summary>First half (pull-up conversions and their reads). false when a device could not be read.</summary>
        bool BeginOpenWireCheck();

        /// <summary>
        /// Second half (pull-down conversions, reads and the verdict per wire, as <see cref="ICellMonitor.CheckOpenWires"/>).
        /// false when incomplete, including when no first half ran since the last finish (then nothing is converted
        /// and the open-wire state is left as it was).
        /// </summary>
        bool FinishOpenWireCheck(bool[] openWire);
    }
}
