using System.CommandLine;
using Bms.Traces;
using Bms.Traces.Import;

namespace Bms.Replay.Cli;

/// <summary><c>import samsung30q IN.csv -o OUT.csv [--series N]</c>: converts a recording into trace format v1.</summary>
public static class ImportCommand
{
    /// <summary>The Samsung 30Q conversion (tools/Bms.Traces/Import): reads IN, writes OUT as trace v1 with N series cells.</summary>
    public static void ImportSamsung30q(string inPath, string outPath, int series) =>
        TraceWriter.Write(Samsung30qImporter.Import(inPath, series), outPath);

    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "A recording of the ARTS-Lab Samsung 30Q dataset (Q30_*.csv or DNN01_HPPC_*.csv)." };
        var output = new Option<string>("--output", "-o") { Description = "Trace file to write (format v1).", HelpName = "OUT", Required = true };
        var series = new Option<int>("--series")
        {
            Description = "Series cells of the pack to build from the one recorded cell (1..1024).",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        series.Validators.Add(r =>
        {
            int n = r.GetValueOrDefault<int>();
            if (n < 1 || n > 1024) r.AddError("--series must be between 1 and 1024 (got " + n + ")");
        });
        var samsung = new Command("samsung30q", "Imports a Samsung 30Q recording (constant-current or HPPC) with its true reference SoC.")
        {
            input, output, series,
        };
        samsung.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            string inPath = parse.GetValue(input)!;
            string outPath = parse.GetValue(output)!;
            if (!File.Exists(inPath))
            {
                error.WriteLine("error: " + inPath + ": file not found");
                return ReplayRunner.ExitInvalidInput;
            }
            try
            {
                ImportSamsung30q(inPath, outPath, parse.GetValue(series));
            }
            catch (Exception e) when (e is RecordingFormatException or FormatException or IOException or TraceFormatException or ArgumentException)
            {
                error.WriteLine("error: " + e.Message);
                return ReplayRunner.ExitInvalidInput;
            }
            parse.InvocationConfiguration.Output.WriteLine("wrote " + outPath);
            return ReplayRunner.ExitOk;
        });
        return new Command("import", "Converts recordings from other formats into trace format v1.") { samsung };
    }
}
