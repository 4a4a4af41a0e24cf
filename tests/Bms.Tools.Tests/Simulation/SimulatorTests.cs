using System.CommandLine;
using Bms.Simulation;
using Bms.Simulation.Cli;
using Bms.Simulation.Scenarios;
using Bms.Traces;

namespace Bms.Tools.Tests.Simulation;

/// <summary>Scenario runs, trace output, determinism and the <c>simulate</c> command line.</summary>
public class SimulatorTests
{
    private static string Simulate(SimulationSettings settings, out SimulationResult result)
    {
        var text = new StringWriter { NewLine = "\n" };
        result = Simulator.Run(settings, text);
        return text.ToString();
    }

    private static string ScenarioDirectory => Path.Combine(Bms.Tools.Tests.Scenarios.ScenarioSuiteTests.RepoRoot, "tests", "Bms.Tools.Tests", "Scenarios");

    [Fact]
    public void Same_seed_gives_a_byte_identical_trace_and_another_seed_another_pack()
    {
        var settings = new SimulationSettings { Scenario = "drive-cycle", Duration_s = 300, Seed = 42 };
        string first = Simulate(settings, out _);
        string second = Simulate(settings, out _);
        Assert.Equal(first, second);
        // Scenarios with state (thermal runaway tracks its condition) too: no state leaks from one run into the next.
        var runaway = new SimulationSettings { Scenario = "thermal-runaway", Duration_s = 300 };
        Assert.Equal(Simulate(runaway, out _), Simulate(runaway, out _));

        string other = Simulate(new SimulationSettings { Scenario = "drive-cycle", Duration_s = 300, Seed = 43 }, out _);
        Assert.NotEqual(first, other);
        // The spread differs, not just the noise: the reference SoC (noise-free) differs too.
        var a = TraceReader.ReadAll(new StringReader(first), "a");
        var b = TraceReader.ReadAll(new StringReader(other), "b");
        Assert.NotEqual(a.Samples[0].SocRef_pcm, b.Samples[0].SocRef_pcm);
    }

    [Fact]
    public void Trace_carries_the_metadata_and_reads_back()
    {
        string text = Simulate(new SimulationSettings { Scenario = "fast-charge", Cells = 4, Duration_s = 120, Seed = 3 }, out var result);
        var trace = TraceReader.ReadAll(new StringReader(text), "fast-charge.csv");
        Assert.Equal(4, trace.Cells);
        Assert.Equal(2, trace.Temps); // one thermistor per 3 cells, rounded up
        Assert.Equal("lfp", trace.Chemistry);
        Assert.Equal(2500, trace.Capacity_mAh);
        Assert.Equal(1000, trace.Dt_ms);
        Assert.Equal("simulate fast-charge seed 3", trace.Source);
        Assert.Equal(121, trace.Samples.Count);
        Assert.Equal(result.Samples, trace.Samples.Count);
        Assert.True(trace.HasSocReference);
        // 2C of 2.5 Ah after 30 s of idle, within the noise.
        Assert.InRange(trace.Samples[60].Current_mA, 4950, 5050);
        Assert.InRange(trace.Samples[10].Current_mA, -40, 40);
    }

    [Fact]
    public void Ten_hertz_rate_writes_100_ms_rows()
    {
        string text = Simulate(new SimulationSettings { Scenario = "drive-cycle", Duration_s = 2, Rate_Hz = 10 }, out _);
        var trace = TraceReader.ReadAll(new StringReader(text), "t.csv");
        Assert.Equal(100, trace.Dt_ms);
        Assert.Equal(21, trace.Samples.Count);
        Assert.Equal(100, trace.Samples[1].Time_ms);
    }

    [Fact]
    public void Reference_soc_follows_the_coulombs_of_the_trace()
    {
        // Coulomb balance on the written trace: the reference SoC moves by the integrated current over the capacity
        // (cells at a tiny spread, so pack SoC ≈ cell SoC; the current noise averages out).
        string text = Simulate(new SimulationSettings { Scenario = "drive-cycle", Seed = 5 }, out _);
        var trace = TraceReader.ReadAll(new StringReader(text), "t.csv");
        double charge_mAs = 0;
        for (int k = 0; k < trace.Samples.Count - 1; k++) charge_mAs += trace.Samples[k].Current_mA * 1.0;
        double expectedDelta_pcm = charge_mAs / (trace.Capacity_mAh!.Value * 3600.0) * 100000;
        double actualDelta_pcm = trace.Samples[^1].SocRef_pcm - trace.Samples[0].SocRef_pcm;
        Assert.True(expectedDelta_pcm < -3000, "the drive must discharge noticeably");
        Assert.InRange(actualDelta_pcm, expectedDelta_pcm * 1.03, expectedDelta_pcm * 0.97); // capacity spread 1 %
    }

    [Fact]
    public void Thermal_runaway_is_tagged_and_the_condition_follows_the_onset()
    {
        string text = Simulate(new SimulationSettings { Scenario = "thermal-runaway" }, out var result);
        var trace = TraceReader.ReadAll(new StringReader(text), "t.csv");
        var onset = trace.Samples.Single(s => s.Event == "tr_onset");
        Assert.Equal((long)(ThermalRunawayScenario.Onset_s * 1000), onset.Time_ms);
        double condition = result.Marks["tr_condition"];
        Assert.True(condition > ThermalRunawayScenario.Onset_s + 60, "runaway develops over minutes, not at once");
        Assert.True(result.Marks["tr_rate_1C_per_s"] + 3 < condition, "(c) must have held more than 3 s");
        // Voltage collapse of the runaway cell by more than 25 % at the end.
        var last = trace.Samples[^1];
        Assert.True(last.Cell_mV.Min() < 0.75 * onset.Cell_mV.Max());
        Assert.True(trace.Samples.Max(s => s.Temp_dC[0]) > 1500, "the sensor next to the cell sees hundreds of °C");
    }

    [Fact]
    public void Every_committed_scenario_trace_is_what_simulate_writes_for_seed_1()
    {
        foreach (var scenario in BuiltInScenarios.All)
        {
            string path = Path.Combine(ScenarioDirectory, scenario.Name + ".csv");
            Assert.True(File.Exists(path), "no committed trace for scenario " + scenario.Name + " (" + path + ")");
            string expected = File.ReadAllText(path);
            string actual = Simulate(new SimulationSettings { Scenario = scenario.Name, Seed = 1 }, out _);
            Assert.True(expected == actual, scenario.Name + ".csv differs from `simulate " + scenario.Name + " --seed 1`: regenerate it (see tools/Bms.Replay/README.md)");
        }
    }

    [Fact]
    public void Committed_scenario_traces_stay_small()
    {
        long total = Directory.GetFiles(ScenarioDirectory, "*.csv").Sum(f => new FileInfo(f).Length);
        Assert.True(total < 3_000_000, "scenario traces total " + total + " bytes (keep them under 3 MB)");
    }

    private static (int Exit, string Output, string Error) RunCli(params string[] args)
    {
        var root = new RootCommand { SimulateCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Unknown_scenario_is_refused_with_the_list_of_known_ones()
    {
        string path = Path.Combine(Path.GetTempPath(), "sim-" + Guid.NewGuid().ToString("N") + ".csv");
        var (exit, _, error) = RunCli("simulate", "drive-cylce", "-o", path);
        Assert.Equal(SimulateCommand.ExitInvalidInput, exit);
        Assert.Contains("unknown scenario 'drive-cylce'", error);
        Assert.Contains("drive-cycle", error);
        Assert.Contains("thermal-runaway", error);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("0", "--cells must be between 1 and 1024 (got 0)")]
    [InlineData("-3", "--cells must be between 1 and 1024 (got -3)")]
    [InlineData("5000", "--cells must be between 1 and 1024 (got 5000)")]
    public void Bad_cell_count_is_refused_clearly(string cells, string message)
    {
        string path = Path.Combine(Path.GetTempPath(), "sim-" + Guid.NewGuid().ToString("N") + ".csv");
        var (exit, _, error) = RunCli("simulate", "drive-cycle", "-o", path, "--cells", cells);
        Assert.Equal(SimulateCommand.ExitInvalidInput, exit);
        Assert.Contains(message, error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Non_numeric_cell_count_is_refused_by_the_parser()
    {
        var (exit, _, error) = RunCli("simulate", "drive-cycle", "-o", "x.csv", "--cells", "six");
        Assert.NotEqual(0, exit);
        Assert.Contains("six", error);
    }

    [Theory]
    [InlineData("--rate", "5", "--rate must be 1 or 10")]
    [InlineData("--chemistry", "nmc", "unknown chemistry 'nmc'")]
    [InlineData("--temps", "9", "--temps must be between 0 and the number of cells (6)")]
    [InlineData("--duration", "0", "--duration must be more than 0")]
    public void Other_bad_options_are_refused_clearly(string option, string value, string message)
    {
        var (exit, _, error) = RunCli("simulate", "drive-cycle", "-o", Path.Combine(Path.GetTempPath(), "x.csv"), option, value);
        Assert.Equal(SimulateCommand.ExitInvalidInput, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Simulate_writes_the_file_and_reports_the_marks()
    {
        string path = Path.Combine(Path.GetTempPath(), "sim-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            var (exit, output, error) = RunCli("simulate", "overvoltage-charger-fault", "-o", path, "--cells", "4", "--seed", "9");
            Assert.True(exit == 0, error);
            Assert.Contains("wrote " + path, output);
            Assert.Contains("cell_above_envelope at", output);
            var trace = TraceReader.ReadAll(path);
            Assert.Equal(4, trace.Cells);
            Assert.Equal("simulate overvoltage-charger-fault seed 9", trace.Source);
            Assert.True(trace.Samples.Max(s => s.Cell_mV.Max()) > 4200, "the faulty charger drives a cell past the envelope");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
