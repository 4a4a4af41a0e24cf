using Bms.Hal;

namespace Bms.Replay.Bench;

/// <summary>
/// Measures what the host side (chip emulators, virtual clock) allocates while the firmware calls it, so the
/// bench can tell the firmware's own allocations apart: each wrapped call is bracketed by
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> (exact, and allocation-free itself).
/// </summary>
public sealed class HostAllocationMeter
{
    /// <summary>Bytes allocated inside wrapped host calls since construction.</summary>
    public long HostBytes { get; private set; }

    internal long Begin() => GC.GetAllocatedBytesForCurrentThread();

    internal void End(long begin) => HostBytes += GC.GetAllocatedBytesForCurrentThread() - begin;

    public II2cDevice Wrap(II2cDevice device) => new MeteredI2c(device, this);

    public ISpiDevice Wrap(ISpiDevice device) => new MeteredSpi(device, this);

    public IDelay WrapDelay(IDelay delay) => new MeteredDelay(delay, this);

    public IMonotonicClock WrapClock(IMonotonicClock clock) => new MeteredClock(clock, this);

    public IDigitalOutput Wrap(IDigitalOutput output) => new MeteredOutput(output, this);

    public IWatchdog Wrap(IWatchdog watchdog) => new MeteredWatchdog(watchdog, this);

    public INonVolatileStorage Wrap(INonVolatileStorage storage) => new MeteredStorage(storage, this);

    public ILogSink Wrap(ILogSink log) => new MeteredLog(log, this);

    private sealed class MeteredOutput(IDigitalOutput inner, HostAllocationMeter meter) : IDigitalOutput
    {
        public bool State => inner.State;

        public void Write(bool energised)
        {
            long begin = meter.Begin();
            try { inner.Write(energised); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredWatchdog(IWatchdog inner, HostAllocationMeter meter) : IWatchdog
    {
        public void Kick()
        {
            long begin = meter.Begin();
            try { inner.Kick(); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredStorage(INonVolatileStorage inner, HostAllocationMeter meter) : INonVolatileStorage
    {
        public int Size => inner.Size;

        public bool Read(int address, byte[] buffer, int offset, int count)
        {
            long begin = meter.Begin();
            try { return inner.Read(address, buffer, offset, count); }
            finally { meter.End(begin); }
        }

        public bool Write(int address, byte[] buffer, int offset, int count)
        {
            long begin = meter.Begin();
            try { return inner.Write(address, buffer, offset, count); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredLog(ILogSink inner, HostAllocationMeter meter) : ILogSink
    {
        public void WriteLine(string text)
        {
            long begin = meter.Begin();
            try { inner.WriteLine(text); }
            finally { meter.End(begin); }
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            long begin = meter.Begin();
            try { inner.Write(buffer, offset, count); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredI2c(II2cDevice inner, HostAllocationMeter meter) : II2cDevice
    {
        public int Address => inner.Address;

        public BusStatus Write(byte[] buffer, int offset, int count)
        {
            long begin = meter.Begin();
            try { return inner.Write(buffer, offset, count); }
            finally { meter.End(begin); }
        }

        public BusStatus Read(byte[] buffer, int offset, int count)
        {
            long begin = meter.Begin();
            try { return inner.Read(buffer, offset, count); }
            finally { meter.End(begin); }
        }

        public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
        {
            long begin = meter.Begin();
            try { return inner.WriteRead(writeBuffer, writeOffset, writeCount, readBuffer, readOffset, readCount); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredSpi(ISpiDevice inner, HostAllocationMeter meter) : ISpiDevice
    {
        public BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[] readBuffer, int readOffset, int count)
        {
            long begin = meter.Begin();
            try { return inner.TransferFullDuplex(writeBuffer, writeOffset, readBuffer, readOffset, count); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredDelay(IDelay inner, HostAllocationMeter meter) : IDelay
    {
        public void Wait_us(int microseconds)
        {
            long begin = meter.Begin();
            try { inner.Wait_us(microseconds); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredClock(IMonotonicClock inner, HostAllocationMeter meter) : IMonotonicClock
    {
        public long Now_ms
        {
            get
            {
                long begin = meter.Begin();
                try { return inner.Now_ms; }
                finally { meter.End(begin); }
            }
        }

        public long Now_us
        {
            get
            {
                long begin = meter.Begin();
                try { return inner.Now_us; }
                finally { meter.End(begin); }
            }
        }
    }
}
