namespace Bms.Traces;

/// <summary>
/// A battery trace in memory (format v1, see DESIGN.md section 6). Integer units: ms, mA (positive =
/// charging), mV, 0.1 °C, per cent mille. A missing sample (empty CSV field) is <see cref="Missing"/>.
/// </summary>
public sealed class Trace
{
    /// <summary>Marks a sample that was not recorded (sensor or logger dropout).</summary>
    public const int Missing = int.MinValue;

    public Trace(int cells, int temps)
    {
        if (cells < 1) throw new ArgumentOutOfRangeException(nameof(cells));
        if (temps < 0) throw new ArgumentOutOfRangeException(nameof(temps));
        Cells = cells;
        Temps = temps;
    }

    public int Cells { get; }
    public int Temps { get; }
    public int? Capacity_mAh { get; set; }
    public string? Chemistry { get; set; }
    public string? Source { get; set; }
    public int? Dt_ms { get; set; }

    /// <summary>Every metadata key in file order, including the ones with properties above.</summary>
    public List<KeyValuePair<string, string>> Metadata { get; } = new();

    /// <summary>Where the trace came from (file name), for messages.</summary>
    public string Name { get; set; } = "";

    public List<TraceSample> Samples { get; } = new();

    /// <summary>true when at least one sample carries a reference state of charge.</summary>
    public bool HasSocReference => Samples.Exists(s => s.SocRef_pcm != Missing);
}

/// <summary>One row of a trace.</summary>
public sealed class TraceSample
{
    public TraceSample(int cells, int temps)
    {
        Cell_mV = new int[cells];
        Temp_dC = new int[temps];
    }

    public long Time_ms { get; set; }
    public int Current_mA { get; set; } = Trace.Missing;
    public int[] Cell_mV { get; }
    public int[] Temp_dC { get; }
    public int SocRef_pcm { get; set; } = Trace.Missing;
    public string? Event { get; set; }

    /// <summary>1-based line in the source file (0 when not read from a file).</summary>
    public int Line { get; set; }
}
