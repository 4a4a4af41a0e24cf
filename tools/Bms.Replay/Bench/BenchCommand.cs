using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Bms.Replay.Bench;

/// <summary>
/// <c>bench [--json FILE] [--config KEY] ...</c>: the performance figures of the firmware per AFE configuration
/// (heap allocation per tick, IL instructions per tick, bus bytes per scan, RAM, replay throughput) against the
/// project's targets. Exit code 0 when every target is met, 1 when one is missed, 2 on an error.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var json = new Option<string?>("--json")
        {
            Description = "Also writes every figure as JSON to this file.",
            HelpName = "FILE",
        };
        var config = new Option<string[]>("--config")
        {
            Description = "Configurations to run (default: all): " + string.Join(", ", BenchTargets.Keys) + ".",
            HelpName = "KEY",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        config.AcceptOnlyFromAmong(BenchTargets.Keys.ToArray());
        var ticks = new Option<int>("--ticks")
        {
            Description = "Steady-state 100 ms ticks for the allocation measurement (at least 10000).",
            HelpName = "N",
            DefaultValueFactory = _ => 10_000,
        };
        ticks.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 10_000) r.AddError("--ticks must be at least 10000"); });
        var ilTicks = new Option<int>("--il-ticks")
        {
            Description = "100 ms ticks of the instrumented (IL-counting) run.",
            HelpName = "N",
            DefaultValueFactory = _ => 600,
        };
        ilTicks.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 10) r.AddError("--il-ticks must be at least 10"); });
        var hours = new Option<double>("--replay-hours")
        {
            Description = "Virtual hours replayed for the throughput figure; the 24 h time is extrapolated from it.",
            HelpName = "H",
            DefaultValueFactory = _ => 24.0,
        };
        hours.Validators.Add(r => { double h = r.GetValueOrDefault<double>(); if (!(h > 0 && h <= 240)) r.AddError("--replay-hours must be in (0, 240]"); });

        var driverOnly = new Option<bool>("--driver-only")
        {
            Description = "Measures the AFE driver alone (scan every 100 ms, current every 10 ms) instead of the whole firmware.",
        };

        var boardRate = new Option<long?>("--board-il-per-second")
        {
            Description = "Your board's rate from firmware/Bms.Calibration (il_per_s): adds the CPU time per tick on that board.",
            HelpName = "N",
        };
        boardRate.Validators.Add(r => { if (r.GetValueOrDefault<long?>() is long v && v <= 0) r.AddError("--board-il-per-second must be positive"); });

        var top = new Option<int>("--top")
        {
            Description = "Methods listed by IL instructions per tick.",
            HelpName = "N",
            DefaultValueFactory = _ => 12,
        };
        top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1"); });

        var command = new Command("bench", "Measures heap allocation, IL instructions, bus use, RAM and replay throughput per AFE configuration against the targets.");
        command.Options.Add(json);
        command.Options.Add(config);
        command.Options.Add(ticks);
        command.Options.Add(ilTicks);
        command.Options.Add(hours);
        command.Options.Add(driverOnly);
        command.Options.Add(boardRate);
        command.Options.Add(top);
        command.SetAction(parseResult =>
        {
            var keys = parseResult.GetValue(config) is { Length: > 0 } chosen ? chosen : BenchTargets.Keys.ToArray();
            var options = new BenchOptions
            {
                AllocationTicks = parseResult.GetValue(ticks),
                IlTicks = parseResult.GetValue(ilTicks),
                ReplayHours = parseResult.GetValue(hours),
                DriverOnly = parseResult.GetValue(driverOnly),
                BoardIlPerSecond = parseResult.GetValue(boardRate),
                TopMethods = parseResult.GetValue(top),
            };
            return Execute(keys, options, parseResult.GetValue(json), Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>Runs the bench and prints it; returns the exit code.</summary>
    public static int Execute(IReadOnlyList<string> keys, BenchOptions options, string? jsonPath, TextWriter output, TextWriter errors)
    {
        var results = new List<BenchResult>();
        try
        {
            foreach (string key in keys)
            {
                BenchResult result = BenchRunner.Run(key, options, message => errors.WriteLine("bench: " + message));
                results.Add(result);
                output.Write(FormatTable(result, options.BoardIlPerSecond));
                output.WriteLine();
            }
            if (jsonPath is not null)
            {
                string? directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
                if (directory is not null) Directory.CreateDirectory(directory);
                File.WriteAllText(jsonPath, ToJson(results));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            errors.WriteLine($"bench: error: {e.Message}");
            return 2;
        }

        var misses = results.SelectMany(r => r.Misses().Select(m => $"{r.Configuration}: {m}")).ToList();
        if (misses.Count == 0)
        {
            output.WriteLine("All targets met.");
            return 0;
        }
        output.WriteLine("Targets missed:");
        foreach (string miss in misses) output.WriteLine("  - " + miss);
        return 1;
    }

    public static string ToJson(IReadOnlyList<BenchResult> results) =>
        JsonSerializer.Serialize(results.Select(r => new
        {
            r.Configuration, r.Composition, r.Cells, r.Temperatures, r.SteadyState,
            heap = new { ticks = r.AllocationTicks, bytesPerTick = r.AllocatedBytesPerTick, firstWindowFirmwareBytesPerTick = r.FirstWindowFirmwareBytesPerTick, hostBytesPerTick = r.HostAllocatedBytesPerTick, firmwareBytesPerTick = r.FirmwareAllocatedBytesPerTick, firmwareAllocationSitesPerTick = r.FirmwareAllocationSitesPerTick },
            il = new { ticks = r.IlTicks, instructionsPerTick = r.IlInstructionsPerTick, worstTick = r.IlInstructionsWorstTick, worstTickIndex = r.IlWorstTickIndex, top = r.TopMethods, worstTickTop = r.WorstTickMethods },
            bus = new { r.Bus, bytesPerScan = r.BusBytesPerScan, minimumBytesPerScan = r.MinimumBusBytesPerScan, bytesPerTick = r.BusBytesPerTick, timePerScan_ms = r.BusTimePerScan_ms, minimumTimePerScan_ms = r.MinimumBusTimePerScan_ms },
            ram = new { instanceBytes = r.RamInstanceBytes, instanceObjects = r.RamInstanceObjects, staticBytes = r.RamStaticBytes, totalBytes = r.RamTotalBytes, byType = r.RamByType },
            replay = new { hours = r.ReplayedHours, wallSeconds = r.ReplayWallSeconds, cpuSeconds = r.ReplayCpuSeconds, cellSamplesPerCpuSecond = r.CellSamplesPerSecond, cpuSecondsFor24h = r.ReplaySecondsFor24h, wallSecondsFor24h = r.ReplayWallSecondsFor24h },
            targets = r.Targets,
            misses = r.Misses(),
        }), new JsonSerializerOptions { WriteIndented = true });

    public static string FormatTable(BenchResult r, long? boardIlPerSecond = null)
    {
        var c = CultureInfo.InvariantCulture;
        var t = r.Targets;
        var sb = new StringBuilder();
        sb.AppendLine($"== {r.Configuration}: {r.Cells} cells, {r.Temperatures} temperatures ({r.Composition})");
        sb.AppendLine($"  steady state: {r.SteadyState}");
        var rows = new List<(string Figure, string Value, string Target, bool Ok)>
        {
            ("heap bytes / steady tick (firmware)", r.FirmwareAllocatedBytesPerTick.ToString("0.##", c), $"{t.MaxAllocatedBytesPerTick}", r.FirmwareAllocatedBytesPerTick <= t.MaxAllocatedBytesPerTick),
            ("  all / host emulators", $"{r.AllocatedBytesPerTick.ToString("0.##", c)} / {r.HostAllocatedBytesPerTick.ToString("0.##", c)} over {r.AllocationTicks} ticks"
                + (r.FirstWindowFirmwareBytesPerTick is double first ? $" (confirmation window; the first showed {first.ToString("0.##", c)})" : ""), "", true),
            ("IL instructions / 100 ms tick", r.IlInstructionsPerTick.ToString("0", c), $"< {t.MaxIlPerTick}", r.IlInstructionsPerTick < t.MaxIlPerTick),
            ("  worst tick / alloc sites per tick", $"{r.IlInstructionsWorstTick} / {r.FirmwareAllocationSitesPerTick.ToString("0.##", c)}", "", true),
            ($"bus bytes / scan ({r.Bus})", $"{r.BusBytesPerScan} (min {r.MinimumBusBytesPerScan}, +{Overhead(r).ToString("0.0", c)} %)", $"<= min + {((t.MaxBusOverheadRatio - 1) * 100).ToString("0", c)} %", r.BusBytesPerScan <= r.MinimumBusBytesPerScan * t.MaxBusOverheadRatio),
            ("  bus time / scan", $"{r.BusTimePerScan_ms.ToString("0.00", c)} ms (min {r.MinimumBusTimePerScan_ms.ToString("0.00", c)} ms); {r.BusBytesPerTick.ToString("0", c)} B per tick incl. current reads", "", true),
            ("static RAM (nanoCLR model)", $"{r.RamTotalBytes} B ({r.RamInstanceBytes} B in {r.RamInstanceObjects} objects + {r.RamStaticBytes} B statics)", "", true),
            ("replay throughput (CPU time)", $"{(r.CellSamplesPerSecond / 1e6).ToString("0.00", c)} M cell-samples/s; 24 h in {r.ReplaySecondsFor24h.ToString("0.0", c)} s ({r.ReplayWallSecondsFor24h.ToString("0.0", c)} s wall)", t.MaxReplaySecondsFor24h is double s ? $"24 h < {s} s" : "", t.MaxReplaySecondsFor24h is not double limit || r.ReplaySecondsFor24h < limit),
        };
        if (boardIlPerSecond is long rate)
        {
            double mean_ms = r.IlInstructionsPerTick * 1000.0 / rate, worst_ms = r.IlInstructionsWorstTick * 1000.0 / rate;
            rows.Insert(4, ("  on your board (CPU per tick)", $"{mean_ms.ToString("0.0", c)} ms mean ({(mean_ms / 100 * 100).ToString("0", c)} % of 100 ms), {worst_ms.ToString("0.0", c)} ms worst at {rate} IL/s", "", true));
        }
        int w0 = rows.Max(x => x.Figure.Length), w1 = rows.Max(x => x.Value.Length), w2 = Math.Max(6, rows.Max(x => x.Target.Length));
        sb.AppendLine($"  {"figure".PadRight(w0)}  {"value".PadRight(w1)}  {"target".PadRight(w2)}  ok");
        foreach (var row in rows)
            sb.AppendLine($"  {row.Figure.PadRight(w0)}  {row.Value.PadRight(w1)}  {row.Target.PadRight(w2)}  {(row.Target.Length == 0 ? "" : row.Ok ? "yes" : "NO")}");
        sb.AppendLine("  largest RAM holders (type: bytes in objects):");
        foreach (var share in r.RamByType.Take(6))
            sb.AppendLine($"    {share.Bytes,8}  {share.Type} ({share.Count})");
        sb.AppendLine("  top methods by IL instructions per tick (calls per tick):");
        foreach (var m in r.TopMethods)
            sb.AppendLine($"    {m.InstructionsPerTick.ToString("0", c),8}  {m.Method} ({m.CallsPerTick.ToString("0.#", c)})");
        if (r.WorstTickMethods.Count > 0)
        {
            sb.AppendLine($"  worst tick (tick {r.IlWorstTickIndex} of the window, {r.IlInstructionsWorstTick} IL): top methods (calls)");
            foreach (var m in r.WorstTickMethods)
                sb.AppendLine($"    {m.InstructionsPerTick.ToString("0", c),8}  {m.Method} ({m.CallsPerTick.ToString("0.#", c)})");
        }
        return sb.ToString();
    }

    private static double Overhead(BenchResult r) =>
        r.MinimumBusBytesPerScan == 0 ? 0 : (r.BusBytesPerScan - r.MinimumBusBytesPerScan) * 100.0 / r.MinimumBusBytesPerScan;
}
