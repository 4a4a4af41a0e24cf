using Bms.Hal;

namespace Bms.Emulators.Common;

/// <summary>
/// The replay harness's time source: the firmware and drivers read it through <see cref="IMonotonicClock"/>,
/// the harness advances it. Driver waits (<see cref="IDelay"/>) advance it too, so an emulated conversion
/// that needs 2 ms really sees 2 ms pass.
/// </summary>
public sealed class VirtualClock : IMonotonicClock, IDelay
{
    private long _now_us;

    public VirtualClock(long start_ms = 0) => _now_us = start_ms * 1000;

    public long Now_ms => _now_us / 1000;

    public long Now_us => _now_us;

    /// <summary>Total microseconds spent in driver waits (bus/conversion time a real MCU would spend).</summary>
    public long WaitedMicroseconds { get; private set; }

    public void Wait_us(int microseconds)
    {
        if (microseconds < 0) throw new ArgumentOutOfRangeException(nameof(microseconds));
        _now_us += microseconds;
        WaitedMicroseconds += microseconds;
    }

    /// <summary>Moves time forward to <paramref name="time_ms"/> (never backwards).</summary>
    public void AdvanceTo_ms(long time_ms)
    {
        long target = time_ms * 1000;
        if (target > _now_us) _now_us = target;
    }

    public void Advance_us(long microseconds)
    {
        if (microseconds < 0) throw new ArgumentOutOfRangeException(nameof(microseconds));
        _now_us += microseconds;
    }
}
