using System.CommandLine;
using System.Globalization;
using Bms.Simulation.Scenarios;

namespace Bms.Simulation.Cli;

/// <summary><c>simulate SCENARIO -o OUT.csv [--cells N] [--seed S] ...</c>: writes a simulated pack trace (format v1).</summary>
public static class SimulateCommand
{
    /// <summary>Exit codes, as bms-replay uses them.</summary>
    public const int ExitOk = 0, ExitFailure = 1, ExitInvalidInput = 2;

    public static Command Create()
    {
        var scenario = new Argument<string>("SCENARIO")
        {
            Description = "Scenario to simulate: " + string.Join(", ", BuiltInScenarios.Names) + ".",
        };
        var output = new Option<string>("--output", "-o") { Description = "Trace file to write (format v1).", HelpName = "OUT.csv", Required = true };
        var cells = new Option<int>("--cells") { Description = "Series cells (1..1024).", HelpName = "N", DefaultValueFactory = _ => 6 };
        var temps = new Option<int?>("--temps") { Description = "Thermistors, spread evenly along the stack (default: one per 3 cells, rounded up).", HelpName = "M" };
        var seed = new Option<long>("--seed") { Description = "Seed of the cell spread and the measurement noise (same seed, same file).", HelpName = "S", DefaultValueFactory = _ => 1 };
        var chemistry = new Option<string?>("--chemistry") { Description = "Chemistry profile: nmc-graphite, lfp, lto, li-metal-ss (default: the scenario's).", HelpName = "NAME" };
        var rate = new Option<int?>("--rate") { Description = "Samples per second, 1 or 10 (default: the scenario's).", HelpName = "1|10" };
        var duration = new Option<double?>("--duration") { Description = "Trace length in seconds (default: the scenario's).", HelpName = "SECONDS" };
        var soc = new Option<double?>("--soc") { Description = "Mean initial cell state of charge in % (default: the scenario's).", HelpName = "PCT" };
        var ambient = new Option<double>("--ambient") { Description = "Ambient temperature, °C.", HelpName = "C", DefaultValueFactory = _ => 25 };
        var currentNoise = new Option<double>("--current-noise-mA") { Description = "Current sensor noise, σ in mA.", HelpName = "MA", DefaultValueFactory = _ => 10 };
        var currentOffset = new Option<double>("--current-offset-mA") { Description = "Current sensor offset in mA (+ reads more charging).", HelpName = "MA" };

        var command = new Command("simulate", "Simulates a pack (equivalent-circuit cells, thermal model, noisy sensors) in a scenario and writes a trace.")
        {
            scenario, output, cells, temps, seed, chemistry, rate, duration, soc, ambient, currentNoise, currentOffset,
        };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            string name = parse.GetValue(scenario)!;
            string path = parse.GetValue(output)!;
            var settings = new SimulationSettings
            {
                Scenario = name,
                Cells = parse.GetValue(cells),
                Temps = parse.GetValue(temps),
                Seed = parse.GetValue(seed),
                Chemistry = parse.GetValue(chemistry),
                Rate_Hz = parse.GetValue(rate),
                Duration_s = parse.GetValue(duration),
                InitialSoc = parse.GetValue(soc) is double pct ? pct / 100.0 : null,
                Ambient_C = parse.GetValue(ambient),
                CurrentNoise_mA = parse.GetValue(currentNoise),
                CurrentOffset_mA = parse.GetValue(currentOffset),
            };
            return Run(settings, path, parse.InvocationConfiguration.Output, error);
        });
        return command;
    }

    /// <summary>Runs one simulation into <paramref name="path"/>; messages to <paramref name="output"/>/<paramref name="error"/>. Returns the exit code.</summary>
    public static int Run(SimulationSettings settings, string path, TextWriter output, TextWriter error)
    {
        string? problem = Check(settings);
        if (problem is not null)
        {
            error.WriteLine("error: " + problem);
            return ExitInvalidInput;
        }
        string temp = path + ".partial";
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            SimulationResult result;
            using (var writer = new StreamWriter(temp, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
                result = Simulator.Run(settings, writer);
            File.Move(temp, path, overwrite: true);
            output.WriteLine("wrote " + path + ": " + result.Scenario + ", " + result.Samples + " samples, " +
                             result.Duration_s.ToString("0.#", CultureInfo.InvariantCulture) + " s");
            foreach (var mark in result.Marks)
                output.WriteLine("  " + mark.Key + " at " + mark.Value.ToString("0.###", CultureInfo.InvariantCulture) + " s");
            return ExitOk;
        }
        catch (ArgumentException e)
        {
            TryDelete(temp);
            error.WriteLine("error: " + e.Message);
            return ExitInvalidInput;
        }
        catch (IOException e)
        {
            TryDelete(temp);
            error.WriteLine("error: " + path + ": " + e.Message);
            return ExitFailure;
        }
        catch (UnauthorizedAccessException e)
        {
            TryDelete(temp);
            error.WriteLine("error: " + path + ": " + e.Message);
            return ExitFailure;
        }
    }

    /// <summary>Null when the settings can run, otherwise what is wrong (named as the option).</summary>
    public static string? Check(SimulationSettings s)
    {
        if (BuiltInScenarios.Find(s.Scenario) is null)
            return "unknown scenario '" + s.Scenario + "' (known: " + string.Join(", ", BuiltInScenarios.Names) + ")";
        if (s.Cells < 1 || s.Cells > 1024) return "--cells must be between 1 and 1024 (got " + s.Cells + ")";
        if (s.Temps is int m && (m < 0 || m > s.Cells)) return "--temps must be between 0 and the number of cells (" + s.Cells + "), got " + m;
        if (s.Chemistry is not null && Bms.Firmware.Chemistry.ChemistryProfiles.FromName(s.Chemistry) is null)
            return "unknown chemistry '" + s.Chemistry + "' (known: nmc-graphite, lfp, lto, li-metal-ss)";
        if (s.Rate_Hz is int r && r != 1 && r != 10) return "--rate must be 1 or 10 (samples per second), got " + r;
        if (s.Duration_s is double d && (!(d > 0) || d > 30 * 86400)) return "--duration must be more than 0 and at most 2592000 s (30 days), got " + d.ToString(CultureInfo.InvariantCulture);
        if (s.InitialSoc is double soc && (soc < 0 || soc > 1)) return "--soc must be between 0 and 100 %, got " + (soc * 100).ToString(CultureInfo.InvariantCulture);
        if (s.Ambient_C < -40 || s.Ambient_C > 85) return "--ambient must be between -40 and 85 °C, got " + s.Ambient_C.ToString(CultureInfo.InvariantCulture);
        if (s.CurrentNoise_mA < 0) return "--current-noise-mA must not be negative";
        return null;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
