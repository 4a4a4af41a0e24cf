namespace Bms.Traces.Import;

/// <summary>
/// Turns an ARTS-Lab Samsung INR18650-30Q recording (either layout, see <see cref="Samsung30qFormat"/>) into a
/// trace v1: one row per source row, integer units (ms, mA, mV, 0.1 °C), the cell surface temperature as t1,
/// and soc_ref_pcm = the true state of charge defined in shared/data/README.md. <c>--series N</c> replicates the
/// one recorded cell N times (an ideal, perfectly matched series string).
/// Malformed input raises <see cref="RecordingFormatException"/> naming file, line, field and reason.
/// </summary>
public static class Samsung30qImporter
{
    /// <summary>Rated capacity of the INR18650-30Q (data sheet), written as the trace's capacity_mAh. The
    /// recording's own measured capacity only enters soc_ref_pcm, never the metadata an estimator reads.</summary>
    public const int RatedCapacity_mAh = 3000;

    public static Trace Import(string path, int series = 1)
    {
        var recording = Samsung30qRecording.Read(path);
        return ToTrace(recording, series);
    }

    /// <summary>Reads a recording and writes it as a trace v1 file (what <c>bms-replay import samsung30q</c> runs).</summary>
    public static void ImportToFile(string inputPath, string outputPath, int series = 1)
    {
        var trace = Import(inputPath, series);
        TraceWriter.Write(trace, outputPath);
    }

    public static Trace ToTrace(Samsung30qRecording recording, int series = 1)
    {
        if (series < 1 || series > 1000) throw new ArgumentOutOfRangeException(nameof(series), series, "series must be 1..1000");
        var trace = new Trace(series, 1)
        {
            Capacity_mAh = RatedCapacity_mAh,
            Chemistry = "nmc-graphite",
            Name = recording.Name,
            Source = $"ARTS-Lab Samsung 30Q dataset (CC BY-SA 4.0), {recording.Name}, "
                     + (recording.Format == Samsung30qFormat.Hppc ? "HPPC" : "constant-current discharge")
                     + $", true SoC to end of final discharge ({recording.DischargedCapacity_Ah:F3} Ah)"
                     + (series > 1 ? $", cell replicated x{series}" : ""),
        };
        trace.Metadata.Add(new("cells", series.ToString()));
        trace.Metadata.Add(new("temps", "1"));
        trace.Metadata.Add(new("capacity_mAh", RatedCapacity_mAh.ToString()));
        trace.Metadata.Add(new("chemistry", "nmc-graphite"));
        trace.Metadata.Add(new("source", trace.Source));
        if (recording.Format == Samsung30qFormat.Hppc)
        {
            trace.Dt_ms = 1000;
            trace.Metadata.Add(new("dt_ms", "1000"));
        }
        long previous = long.MinValue;
        for (int k = 0; k < recording.Count; k++)
        {
            var sample = new TraceSample(series, 1)
            {
                Time_ms = (long)Math.Round(recording.Time_s[k] * 1000),
                Current_mA = (int)Math.Round(recording.Current_A[k] * 1000),
                SocRef_pcm = (int)Math.Round(recording.TrueSoc_pct[k] * 1000),
                Line = k + (recording.Format == Samsung30qFormat.Hppc ? 2 : 1),
            };
            // Rounded timestamps of a ~1 s logger can only collide if the source repeats a time; keep time monotonic.
            if (sample.Time_ms < previous) sample.Time_ms = previous;
            previous = sample.Time_ms;
            int mv = (int)Math.Round(recording.Voltage_V[k] * 1000);
            for (int c = 0; c < series; c++) sample.Cell_mV[c] = mv;
            sample.Temp_dC[0] = (int)Math.Round(recording.SurfaceTemperature_C[k] * 10);
            trace.Samples.Add(sample);
        }
        return trace;
    }
}
