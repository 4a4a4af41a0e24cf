using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Bms.Firmware.Chemistry;
using Bms.Reference;
using Bms.Traces.Import;

namespace Bms.Replay.Accuracy;

/// <summary>
/// <c>accuracy</c>: runs the firmware SoC estimator over every Samsung 30Q recording (9 HPPC tests, 5
/// constant-current discharges) the way the replay feeds it (100 ms ticks, 1 s samples held), started
/// <c>--soc-init-error</c> away from the true SoC and with a current-sensor offset, and prints per file the RMSE and
/// the maximum error after the first 10 minutes, the maximum over the whole file and the time after which the
/// error stays within 2 %. Exit code 1 when any file misses RMSE ≤ 1.0 % or max ≤ 2.5 % (after 10 minutes).
/// </summary>
public static class AccuracyCommand
{
    public const double RmseTarget_pct = 1.0;
    public const double MaxErrorTarget_pct = 2.5;
    public const double ReferenceTolerance_pct = 0.1;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Folder holding samsung30q/ (default: ../shared/data from the repository root).", HelpName = "DIR" };
        var initError = new Option<double>("--soc-init-error") { Description = "Start this many % SoC away from the truth.", HelpName = "PCT", DefaultValueFactory = _ => 30 };
        var offset = new Option<int>("--current-offset-mA") { Description = "Offset added to every current sample (sensor error).", HelpName = "N", DefaultValueFactory = _ => 30 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON.", HelpName = "FILE" };
        var tick = new Option<int>("--tick-ms") { Description = "Estimator step (the firmware runs it every 100 ms).", HelpName = "MS", DefaultValueFactory = _ => 100 };
        var reference = new Option<bool>("--check-reference") { Description = "Also run the double-precision reference and require the fixed-point SoC within 0.1 % of it." };
        var only = new Option<string?>("--only") { Description = "Only files whose name contains this text.", HelpName = "TEXT" };
        var command = new Command("accuracy", "SoC accuracy of the firmware estimator on the Samsung 30Q recordings (per-file table).")
        {
            data, initError, offset, json, tick, reference, only,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string? dir = parse.GetValue(data) ?? DefaultDataDirectory();
            if (dir == null || !Directory.Exists(Path.Combine(dir, "samsung30q")))
            {
                error.WriteLine("error: " + (dir ?? "../shared/data") + ": no samsung30q folder (use --data DIR)");
                return 2;
            }
            int tickMs = parse.GetValue(tick);
            if (tickMs < 1 || tickMs > 10000)
            {
                error.WriteLine("error: --tick-ms must be 1..10000");
                return 2;
            }
            var files = Directory.GetFiles(Path.Combine(dir, "samsung30q"), "*.csv")
                .Where(f => Path.GetFileName(f).StartsWith("DNN01_HPPC_", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("Q30_", StringComparison.Ordinal))
                .Where(f => parse.GetValue(only) is not string o || Path.GetFileName(f).Contains(o, StringComparison.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                error.WriteLine("error: no recordings found in " + dir);
                return 2;
            }
            double initErr = parse.GetValue(initError);
            int offsetMa = parse.GetValue(offset);
            bool withRef = parse.GetValue(reference);
            var results = new SocAccuracyResult[files.Length];
            try
            {
                Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
                {
                    var trace = Samsung30qImporter.Import(files[k]);
                    results[k] = SocAccuracy.Run(trace, ChemistryProfiles.NmcGraphite, trace.Capacity_mAh ?? Samsung30qImporter.RatedCapacity_mAh,
                        initErr, offsetMa, tickMs, withRef);
                });
            }
            catch (AggregateException e) when (e.InnerException is FormatException or IOException)
            {
                error.WriteLine("error: " + e.InnerException!.Message);
                return 2;
            }

            output.WriteLine($"SoC accuracy: start {initErr.ToString(CultureInfo.InvariantCulture)} % off, current offset {offsetMa} mA, {tickMs} ms ticks, capacity {Samsung30qImporter.RatedCapacity_mAh} mAh (rated)");
            output.WriteLine($"{"file",-26} {"RMSE>10min",10} {"max",7} {"max>10min",10} {"conv<2%",9}{(withRef ? "  ref dev" : "")}  result");
            bool allOk = true;
            foreach (var r in results)
            {
                bool ok = r.RmseAfterSettle_pct <= RmseTarget_pct && r.MaxAbsErrorAfterSettle_pct <= MaxErrorTarget_pct
                          && (!withRef || r.MaxDeviationFromReference_pct <= ReferenceTolerance_pct);
                allOk &= ok;
                string conv = r.ConvergedWithin2Pct_s is double c ? c.ToString("F0", CultureInfo.InvariantCulture) + " s" : "never";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Name,-26} {r.RmseAfterSettle_pct,9:F2}% {r.MaxAbsError_pct,6:F2}% {r.MaxAbsErrorAfterSettle_pct,9:F2}% {conv,9}{(withRef ? $" {r.MaxDeviationFromReference_pct,7:F3}%" : "")}  {(ok ? "ok" : "MISSED")}"));
            }
            output.WriteLine(allOk ? "all targets met (RMSE <= 1.0 %, max <= 2.5 % after 10 min)" : "TARGET MISSED (RMSE <= 1.0 %, max <= 2.5 % after 10 min)");
            if (parse.GetValue(json) is string jsonPath)
            {
                var doc = new
                {
                    soc_init_error_pct = initErr,
                    current_offset_mA = offsetMa,
                    tick_ms = tickMs,
                    targets = new { rmse_pct = RmseTarget_pct, max_abs_error_after_10min_pct = MaxErrorTarget_pct },
                    all_targets_met = allOk,
                    files = results.Select(r => new
                    {
                        file = r.Name,
                        duration_s = r.Duration_s,
                        rmse_pct = r.RmseAfterSettle_pct,
                        max_abs_error_pct = r.MaxAbsError_pct,
                        max_abs_error_after_10min_pct = r.MaxAbsErrorAfterSettle_pct,
                        converged_within_2pct_s = r.ConvergedWithin2Pct_s,
                        reference_max_deviation_pct = withRef ? r.MaxDeviationFromReference_pct : (double?)null,
                        final_current_offset_estimate_mA = r.FinalOffsetEstimate_mA,
                    }).ToArray(),
                };
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
            }
            return allOk ? 0 : 1;
        });
        return command;
    }

    /// <summary>../shared/data relative to the repository root (found from the working directory or the tool's location).</summary>
    public static string? DefaultDataDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            var d = new DirectoryInfo(start);
            while (d != null)
            {
                if (File.Exists(Path.Combine(d.FullName, "BmsFirmware.sln")))
                    return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data"));
                d = d.Parent;
            }
        }
        return null;
    }
}
