using System.Globalization;
using Bms.Replay.Engine;
using Bms.Replay.Output;
using Bms.Traces;
using Spectre.Console;

namespace Bms.Replay.Cli;

/// <summary>Runs replays for the CLI: validate every trace first, replay, write JSON/CSV/report, print a summary.</summary>
public static class ReplayRunner
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitInvalidInput = 2;
    public const int ExitLevelReached = 3;

    /// <summary>Replays longer than this (virtual time) get a progress bar on an interactive terminal.</summary>
    public const long ProgressThreshold_ms = 10 * 60 * 1000;

    /// <summary>The rig the CLI replays on (the real firmware); replaceable for tests.</summary>
    public static Func<RigRequest, IReplayRig> RigFactory { get; set; } = FirmwareRig.Create;

    public static int Run(IReadOnlyList<string> tracePaths, ReplaySettings settings, string? jsonPath, string? csvPath,
        string reportDirectory, TextWriter output, TextWriter error, Firmware.Events.ProtectionLevel? failOn = null)
    {
        // A malformed file replays nothing: check every trace completely before the first replay starts.
        var infos = new List<TraceInfo>();
        foreach (string path in tracePaths)
        {
            try
            {
                infos.Add(TraceReader.Validate(path));
            }
            catch (TraceFormatException e)
            {
                error.WriteLine("error: " + e.Message);
                return ExitInvalidInput;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                error.WriteLine("error: " + path + ": file not found");
                return ExitInvalidInput;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine("error: " + path + ": " + e.Message);
                return ExitInvalidInput;
            }
        }

        var engine = new ReplayEngine(RigFactory);
        var results = new List<ReplayResult>();
        bool interactive = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        for (int i = 0; i < tracePaths.Count; i++)
        {
            string path = tracePaths[i];
            var traceSettings = new ReplaySettings
            {
                Afe = settings.Afe,
                Chemistry = settings.Chemistry,
                SocInit_pcm = settings.SocInit_pcm,
                CurrentOffset_mA = settings.CurrentOffset_mA,
                Injections = settings.Injections,
                StopAfter_ms = settings.StopAfter_ms,
                CsvPath = csvPath is null ? null : CsvPathFor(csvPath, path, tracePaths.Count),
            };
            try
            {
                using var reader = TraceReader.Open(path);
                ReplayResult result;
                if (interactive && infos[i].Duration_ms > ProgressThreshold_ms)
                {
                    result = null!;
                    AnsiConsole.Progress()
                        .AutoClear(true)
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask(Markup.Escape(Path.GetFileName(path)), maxValue: Math.Max(1, infos[i].Duration_ms));
                            result = engine.Run(infos[i], reader, path, traceSettings, (done, _) => task.Value = done);
                        });
                }
                else
                {
                    result = engine.Run(infos[i], reader, path, traceSettings);
                }
                results.Add(result);
                output.WriteLine(OneLine(result));
            }
            catch (ReplayException e)
            {
                error.WriteLine("error: " + Path.GetFileName(path) + ": " + e.Message);
                return ExitInvalidInput;
            }
            catch (TraceFormatException e)
            {
                // the file changed between validation and replay
                error.WriteLine("error: " + e.Message);
                return ExitInvalidInput;
            }
        }

        if (jsonPath is not null) JsonSummaryWriter.Write(jsonPath, results);
        string report = ReportWriter.Write(reportDirectory, results);
        output.WriteLine("report: " + report);
        if (jsonPath is not null) output.WriteLine("json: " + jsonPath);
        if (failOn is Firmware.Events.ProtectionLevel level)
        {
            var reached = results.Where(r => r.HighestLevel >= level).ToList();
            if (reached.Count > 0)
            {
                error.WriteLine("fail: " + string.Join(", ", reached.Select(r => r.Trace + " reached " + JsonSummaryWriter.LevelName(r.HighestLevel))) +
                                " (--fail-on " + JsonSummaryWriter.LevelName(level) + ")");
                return ExitLevelReached;
            }
        }
        return ExitOk;
    }

    /// <summary>FILE for one trace; FILE with ".stem" before the extension for several.</summary>
    public static string CsvPathFor(string csvPath, string tracePath, int traceCount)
    {
        if (traceCount == 1) return csvPath;
        string stem = Path.GetFileNameWithoutExtension(tracePath);
        string ext = Path.GetExtension(csvPath);
        string withoutExt = csvPath.Substring(0, csvPath.Length - ext.Length);
        return withoutExt + "." + stem + (ext.Length > 0 ? ext : ".csv");
    }

    private static string OneLine(ReplayResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        string soc = r.Soc is null ? "no SoC reference" : r.Soc.Count == 0 ? "no SoC estimate from the firmware" : "SoC RMSE " + r.Soc.Rmse_pct.ToString("0.00", inv) + " %, max " +
                                                        r.Soc.MaxAbsError_pct.ToString("0.00", inv) + " %";
        string level = r.HighestLevel == Firmware.Events.ProtectionLevel.None ? "none" : JsonSummaryWriter.LevelName(r.HighestLevel);
        return r.Trace + ": " + r.Cells + " cells, " + (r.Duration_s / 3600).ToString("0.00", inv) + " h on " + r.Afe + " (" + r.Chemistry +
               "); highest level " + level + ", " + r.Raised.Count() + " events; " + soc +
               (r.ContactorsOpened_s is double o ? "; contactors opened at " + o.ToString("0.###", inv) + " s" : "");
    }
}
