using Bms.Firmware.Events;

namespace Bms.Replay.Engine;

/// <summary>One event the firmware raised or cleared, in replay time (ms since the trace's first sample).</summary>
public readonly record struct ReplayEvent(long Time_ms, BmsEventCode Code, ProtectionLevel Level, int Cell, bool Active);

/// <summary>Collects every event the firmware reports through <see cref="IBmsEventSink"/>.</summary>
public sealed class EventRecorder : IBmsEventSink
{
    private readonly long _timeOffset_ms;

    /// <param name="timeOffset_ms">Subtracted from the firmware's clock so times count from the trace start.</param>
    public EventRecorder(long timeOffset_ms = 0) => _timeOffset_ms = timeOffset_ms;

    public List<ReplayEvent> Events { get; } = new();

    public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active) =>
        Events.Add(new ReplayEvent(time_ms - _timeOffset_ms, code, level, cell, active));
}
