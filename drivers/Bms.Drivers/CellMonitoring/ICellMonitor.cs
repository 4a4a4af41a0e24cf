namespace Bms.Drivers.CellMonitoring
{
    /// <summary>
    /// What the firmware needs from any cell-monitor AFE (BQ76952, BQ769x0, LTC681x chain). One instance
    /// covers the whole stack it monitors (for a daisy chain: every device in it, cells numbered from the
    /// bottom of the first device). Every method is allocation-free after construction, checks every
    /// transfer (CRC/PEC, NACK), retries a bounded number of times and marks what it could not read as
    /// invalid instead of leaving an old value looking fresh.
    /// </summary>
    public interface ICellMonitor
    {
        /// <summary>Number of series cells monitored.</summary>
        int CellCount { get; }

        /// <summary>Number of temperature channels reported by <see cref="Measure"/>.</summary>
        int TemperatureCount { get; }

        /// <summary>true when the chip measures pack current (coulomb counter / CC2).</summary>
        bool HasCurrentSense { get; }

        /// <summary>true when the chip drives the charge/discharge protection FETs.</summary>
        bool HasFetControl { get; }

        /// <summary>Bus and error counters since construction.</summary>
        CellMonitorStatistics Statistics { get; }

        /// <summary>
        /// Wakes the chip(s), checks they answer, and writes the configuration. Called at start-up and again
        /// whenever a chip reset is detected. false if the chip could not be configured.
        /// </summary>
        bool Initialize();

        /// <summary>
        /// One full scan: starts conversions where the chip needs it, reads all cell voltages, temperatures,
        /// current (if sensed), stack voltage and protection/diagnostic status into <paramref name="readings"/>.
        /// Values that could not be read are marked invalid. Returns true when everything was read.
        /// </summary>
        bool Measure(CellMonitorReadings readings);

        /// <summary>Fast path for the 10 ms task: reads only the current. false if not sensed or not read.</summary>
        bool ReadCurrent(CellMonitorReadings readings);

        /// <summary>
        /// Sets the cells whose balancing resistors are on (index 0 = cell 1). The driver enforces the chip's
        /// own rules (e.g. no two adjacent cells on a BQ769x0) by dropping cells that break them and returns
        /// the resulting set in place. false if the chip did not accept it.
        /// </summary>
        bool SetBalancing(bool[] cellsToDischarge);

        /// <summary>Drives the chip's protection FETs. false if not supported or not acknowledged.</summary>
        bool SetProtectionFets(bool chargeOn, bool dischargeOn);

        /// <summary>
        /// Runs the chip's open sense-wire test. <paramref name="openWire"/> has CellCount + 1 entries
        /// (wire 0 = bottom of the stack). false if unsupported or the test could not complete.
        /// </summary>
        bool CheckOpenWires(bool[] openWire);
    }
}
