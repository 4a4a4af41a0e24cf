using System;
using System.Threading;

namespace Bms.Hal.Nano
{
    /// <summary>
    /// Monotonic time from the nanoCLR tick counter (Environment.TickCount64, nanoFramework.Runtime.Native).
    /// nanoCLR exposes milliseconds only, so Now_us has millisecond resolution on the device; waits shorter than
    /// a millisecond are rounded up, which only lengthens a driver's wake-up or conversion wait.
    /// </summary>
    public sealed class NanoClock : IMonotonicClock, IDelay
    {
        /// <inheritdoc />
        public long Now_ms { get { return Environment.TickCount64; } }

        /// <inheritdoc />
        public long Now_us { get { return Environment.TickCount64 * 1000; } }

        /// <inheritdoc />
        public void Wait_us(int microseconds)
        {
            Thread.Sleep((microseconds + 999) / 1000);
        }
    }
}
