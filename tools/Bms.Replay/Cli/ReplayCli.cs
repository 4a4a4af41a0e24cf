using System.CommandLine;
using Bms.Replay.Engine;

namespace Bms.Replay.Cli;

/// <summary>The root command: with no verb it replays the bundled sample traces into ./bms-report/.</summary>
public static class ReplayCli
{
    /// <summary>Where the bundled samples are (copied beside the executable).</summary>
    public static string SamplesDirectory => Path.Combine(AppContext.BaseDirectory, "samples");

    public const string DefaultReportDirectory = "bms-report";

    /// <param name="reportDirectory">Where the no-verb run writes its report (tests pass a temporary folder).</param>
    public static RootCommand CreateRoot(string reportDirectory = DefaultReportDirectory)
    {
        var root = new RootCommand(
            "bms-replay: replays battery traces through the AFE chip emulators, the real drivers and the real BMS firmware " +
            "on a virtual clock, and reports what the BMS did. Without a verb it replays the bundled sample traces " +
            "(" + SamplesDirectory + ") and writes a report to ./" + DefaultReportDirectory + "/.");
        root.SetAction(parse =>
        {
            string[] samples = Directory.Exists(SamplesDirectory)
                ? Directory.GetFiles(SamplesDirectory, "*.csv").OrderBy(p => p, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();
            if (samples.Length == 0)
            {
                parse.InvocationConfiguration.Error.WriteLine("error: no bundled sample traces found in " + SamplesDirectory);
                return ReplayRunner.ExitInvalidInput;
            }
            return ReplayRunner.Run(samples, new ReplaySettings(), jsonPath: null, csvPath: null, reportDirectory,
                parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });
        return root;
    }
}
