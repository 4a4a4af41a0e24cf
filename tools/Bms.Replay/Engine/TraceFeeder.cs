using Bms.Traces;

namespace Bms.Replay.Engine;

/// <summary>
/// Turns a streamed trace into the physical state of the pack at any virtual time: zero-order hold, each
/// channel keeps its last recorded value until the next row that records it.
///
/// A missing sample (empty field) is a gap in the logger, not a fault of the battery or of the BMS's own
/// sensors: the cell still had a voltage, it just was not written down. So the emulated chip keeps measuring
/// the channel's last recorded value (and, before a channel's first value, that first value). Sensor faults
/// are a different thing and are replayed with <c>--inject</c> (stuck, open-wire, ...), where the emulated
/// chip itself misbehaves.
/// </summary>
public sealed class TraceFeeder
{
    private readonly TraceReader _reader;
    private readonly TraceSample _next;
    private bool _hasNext;

    public TraceFeeder(TraceReader reader, TraceInfo info)
    {
        _reader = reader;
        Cell_mV = (int[])info.FirstCell_mV.Clone();
        Temp_dC = (int[])info.FirstTemp_dC.Clone();
        Current_mA = info.FirstCurrent_mA;
        _next = new TraceSample(info.Trace.Cells, info.Trace.Temps);
        _hasNext = _reader.ReadNext(_next);
    }

    /// <summary>Held cell voltages at the current time.</summary>
    public int[] Cell_mV { get; }

    /// <summary>Held temperatures.</summary>
    public int[] Temp_dC { get; }

    /// <summary>Held current (trace sign: positive = charging).</summary>
    public int Current_mA { get; private set; }

    /// <summary>Reference SoC of the last row at or before the current time that had one (set by <see cref="AdvanceTo"/>).</summary>
    public int LastSocRef_pcm { get; private set; } = Trace.Missing;

    /// <summary>true when the last <see cref="AdvanceTo"/> passed at least one row that carries a reference SoC.</summary>
    public bool SocReferenceArrived { get; private set; }

    /// <summary>Time of that reference row.</summary>
    public long SocReferenceTime_ms { get; private set; }

    /// <summary>Event tag of a row passed in the last <see cref="AdvanceTo"/> (the last one if several), or null.</summary>
    public string? EventArrived { get; private set; }

    /// <summary>true once every row has been applied.</summary>
    public bool Exhausted => !_hasNext;

    /// <summary>Applies every row with time ≤ <paramref name="time_ms"/> (trace time).</summary>
    public void AdvanceTo(long time_ms)
    {
        SocReferenceArrived = false;
        EventArrived = null;
        while (_hasNext && _next.Time_ms <= time_ms)
        {
            if (_next.Current_mA != Trace.Missing) Current_mA = _next.Current_mA;
            for (int i = 0; i < Cell_mV.Length; i++)
                if (_next.Cell_mV[i] != Trace.Missing) Cell_mV[i] = _next.Cell_mV[i];
            for (int i = 0; i < Temp_dC.Length; i++)
                if (_next.Temp_dC[i] != Trace.Missing) Temp_dC[i] = _next.Temp_dC[i];
            if (_next.SocRef_pcm != Trace.Missing)
            {
                LastSocRef_pcm = _next.SocRef_pcm;
                SocReferenceArrived = true;
                SocReferenceTime_ms = _next.Time_ms;
            }
            if (_next.Event is not null) EventArrived = _next.Event;
            _hasNext = _reader.ReadNext(_next);
        }
    }
}
