namespace Bms.Firmware.Scheduling
{
    /// <summary>One periodic job of the guard loop (the 10 ms, 100 ms or 1 s task body).</summary>
    public interface IPeriodicTask
    {
        /// <summary>
        /// Runs one activation. <paramref name="release_ms"/> is the time the activation was due (not the time
        /// it actually started), so work that integrates over time sees the nominal period.
        /// </summary>
        void Run(long release_ms);
    }
}
