using System.Diagnostics;
using System.Globalization;
using System.Text;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;
using Bms.Replay.Engine;
using Bms.Replay.Output;
using Bms.Traces;

namespace Bms.Replay.Stream;

/// <summary>The <c>stream</c> verb's options, already checked.</summary>
public sealed class StreamSettings
{
    /// <summary>Chemistry profile name; null = the trace's metadata, else nmc-graphite.</summary>
    public string? Chemistry { get; init; }

    /// <summary>Initial SoC for the firmware's estimator; null = its own start-up estimate.</summary>
    public int? SocInit_pcm { get; init; }

    /// <summary>Per-sample decision CSV, or null.</summary>
    public string? CsvPath { get; init; }

    public int Timeout_ms { get; init; } = 2000;
    public int Retries { get; init; } = 3;
}

/// <summary>What one stream run produced.</summary>
public sealed class StreamResult
{
    public required string Trace { get; init; }
    public required string Chemistry { get; init; }
    public long Samples { get; init; }
    public double Wall_s { get; init; }
    public required LinkStatistics Link { get; init; }
    public required IReadOnlyList<LinkEvent> Events { get; init; }
    public long EventsDropped { get; init; }
    public int MaxCompute_us { get; init; }
    public double MeanCompute_us { get; init; }
    public LinkDecision? Last { get; init; }

    public double SamplesPerSecond => Wall_s > 0 ? Samples / Wall_s : 0;
}

/// <summary>
/// Streams a trace to a device over an open link and collects what its firmware decided: Hello with the pack
/// shape, then every sample in order, each answered by a decision (<see cref="LinkClient"/>).
/// </summary>
public static class StreamRunner
{
    public const string CsvHeader = "time_ms,soc_pcm,contactors,charge_limit_mA,discharge_limit_mA,balancing_mask,level,compute_us";

    /// <summary>
    /// Runs the stream. The trace must have been validated (<see cref="TraceReader.Validate(string)"/>).
    /// Throws <see cref="LinkException"/> when the link fails, <see cref="ReplayException"/> for an unusable setting.
    /// </summary>
    public static StreamResult Run(TraceInfo info, TraceReader reader, string tracePath, System.IO.Stream link, StreamSettings settings,
        Action<LinkDecision>? onDecision = null)
    {
        var trace = info.Trace;
        string chemistry = settings.Chemistry ?? trace.Chemistry ?? ReplayEngine.DefaultChemistry;
        ChemistryProfile? profile = ChemistryProfiles.FromName(chemistry);
        if (profile is null)
            throw new ReplayException("unknown chemistry '" + chemistry + "' (known: nmc-graphite, lfp, lto, li-metal-ss)");
        int capacity = trace.Capacity_mAh ?? profile.NominalCapacity_mAh;

        using var client = new LinkClient(link, settings.Timeout_ms, settings.Retries);
        using var csv = settings.CsvPath is null ? null : OpenCsv(settings.CsvPath);
        var events = new List<LinkEvent>();
        long dropped = 0, samples = 0, computeSum = 0;
        int computeMax = 0;
        LinkDecision? last = null;
        var row = new StringBuilder(128);
        var inv = CultureInfo.InvariantCulture;
        var watch = Stopwatch.StartNew();

        client.Hello(trace.Cells, trace.Temps, capacity, settings.SocInit_pcm ?? -1, chemistry);
        var sample = new TraceSample(trace.Cells, trace.Temps);
        long t0 = info.FirstTime_ms;
        while (reader.ReadNext(sample))
        {
            var d = client.Send(sample.Time_ms, sample.Current_mA, sample.Cell_mV, sample.Temp_dC);
            if (d.Time_ms != sample.Time_ms)
                throw new LinkException("the device answered sample " + sample.Time_ms + " ms (line " + sample.Line + ") with the decision for " + d.Time_ms + " ms");
            samples++;
            computeSum += d.Compute_us;
            if (d.Compute_us > computeMax) computeMax = d.Compute_us;
            events.AddRange(d.Events);
            dropped += d.EventsDropped;
            last = d;
            onDecision?.Invoke(d);
            if (csv is not null)
            {
                row.Clear();
                row.Append((d.Time_ms - t0).ToString(inv)).Append(',')
                    .Append(d.Soc_pcm.ToString(inv)).Append(',')
                    .Append(d.Contactors.ToString()).Append(',')
                    .Append(d.ChargeLimit_mA.ToString(inv)).Append(',')
                    .Append(d.DischargeLimit_mA.ToString(inv)).Append(',')
                    .Append(TickCsvWriter.BalancingMask(d.Balancing)).Append(',')
                    .Append(JsonSummaryWriter.LevelName(d.Level)).Append(',')
                    .Append(d.Compute_us.ToString(inv)).Append('\n');
                csv.Write(row);
            }
        }
        client.Bye();
        watch.Stop();

        return new StreamResult
        {
            Trace = Path.GetFileName(tracePath),
            Chemistry = chemistry,
            Samples = samples,
            Wall_s = watch.Elapsed.TotalSeconds,
            Link = client.Statistics,
            Events = events,
            EventsDropped = dropped,
            MaxCompute_us = computeMax,
            MeanCompute_us = samples == 0 ? 0 : computeSum / (double)samples,
            Last = last,
        };
    }

    private static StreamWriter OpenCsv(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        writer.Write(CsvHeader + "\n");
        return writer;
    }

    /// <summary>The human summary printed after a run.</summary>
    public static void WriteSummary(StreamResult r, string where, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var link = r.Link;
        output.WriteLine(r.Trace + ": " + r.Samples + " samples streamed to " + where + " in " + r.Wall_s.ToString("0.00", inv) + " s (" +
                         r.SamplesPerSecond.ToString("0", inv) + " samples/s), chemistry " + r.Chemistry);
        output.WriteLine("link: " + link.Retries + " retries (" + link.Timeouts + " timeouts, " + link.Naks + " Naks), " +
                         link.CrcErrors + " CRC errors, " + link.LengthErrors + " length errors and " + link.AbandonedFrames + " broken frames received, " + link.StaleFrames + " stale answers");
        output.WriteLine("board compute per sample: max " + r.MaxCompute_us + " µs, mean " + r.MeanCompute_us.ToString("0", inv) + " µs");
        if (r.Last is LinkDecision d)
        {
            output.WriteLine("final: SoC " + (d.Soc_pcm / 1000.0).ToString("0.000", inv) + " %, contactors " + d.Contactors + ", level " +
                             JsonSummaryWriter.LevelName(d.Level) + ", limits charge " + d.ChargeLimit_mA + " mA / discharge " + d.DischargeLimit_mA + " mA");
        }
        output.WriteLine("events: " + r.Events.Count + (r.EventsDropped > 0 ? " (" + r.EventsDropped + " more dropped by the device)" : ""));
        foreach (var e in r.Events)
        {
            output.WriteLine("  " + (e.Time_ms / 1000.0).ToString("0.000", inv).PadLeft(10) + " s  " + JsonSummaryWriter.LevelName(e.Level).PadRight(7) + " " +
                             e.Code.ToString().PadRight(26) + (e.Cell >= 0 ? "cell " + (e.Cell + 1) : "pack") + (e.Active ? "" : "  cleared"));
        }
    }
}
