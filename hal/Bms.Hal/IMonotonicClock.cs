namespace Bms.Hal
{
    /// <summary>
    /// The only source of time for drivers and firmware. Monotonic, never set back. On the device it is the
    /// MCU's tick counter; in host replay it is a virtual clock the harness advances, so the same code
    /// behaves identically in both.
    /// </summary>
    public interface IMonotonicClock
    {
        /// <summary>Milliseconds since an arbitrary start.</summary>
        long Now_ms { get; }

        /// <summary>Microseconds since the same start (for task run-time and deadline checks).</summary>
        long Now_us { get; }
    }

    /// <summary>
    /// Busy or sleeping wait used by drivers for conversion and wake-up times. In host replay the virtual
    /// clock implements it by advancing virtual time, so emulated chips see the time pass.
    /// </summary>
    public interface IDelay
    {
        /// <summary>Waits at least the given number of microseconds.</summary>
        void Wait_us(int microseconds);
    }
}
