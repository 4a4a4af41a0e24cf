using System.CommandLine;
using System.Text.Json;
using Bms.Replay.Cli;
using Bms.Traces;

namespace Bms.Tools.Tests.Replay;

/// <summary>The command line, on the fake rig (the real firmware runs in the scenario suite).</summary>
public class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bms-cli-" + Guid.NewGuid());

    public CliTests()
    {
        Directory.CreateDirectory(_dir);
        ReplayRunner.RigFactory = request => new FakeRig(request);
    }

    public void Dispose()
    {
        ReplayRunner.RigFactory = Bms.Replay.Engine.FirmwareRig.Create;
        Directory.Delete(_dir, true);
    }

    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        var root = ReplayCli.CreateRoot();
        root.Add(ReplayCommand.Create());
        root.Add(ImportCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private string Trace(string name, int seconds = 30)
    {
        string path = Path.Combine(_dir, name);
        using var w = TraceWriter.Create(path, new Trace(4, 2) { Chemistry = "nmc-graphite", Capacity_mAh = 3000 }, true, false);
        for (int s = 0; s <= seconds; s++)
        {
            var sample = new TraceSample(4, 2) { Time_ms = s * 1000L, Current_mA = -1000, SocRef_pcm = 90_000 - s * 9 };
            for (int c = 0; c < 4; c++) sample.Cell_mV[c] = 3900;
            sample.Temp_dC[0] = sample.Temp_dC[1] = 250;
            w.Write(sample);
        }
        return path;
    }

    [Fact]
    public void Replay_writes_json_csv_and_report()
    {
        string trace = Trace("drive.csv");
        string json = Path.Combine(_dir, "out.json"), csv = Path.Combine(_dir, "ticks.csv"), report = Path.Combine(_dir, "rep");
        var (exit, output, error) = Run("replay", trace, "--json", json, "--csv", csv, "--out", report, "--soc-init", "90", "--afe", "ltc6813",
            "--inject", "crc@5s+1s", "--inject", "stuck:2@10s");
        Assert.True(exit == 0, error);
        Assert.Contains("drive.csv: 4 cells", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("drive.csv", doc.RootElement.GetProperty("trace").GetString());
        Assert.Equal("ltc6813", doc.RootElement.GetProperty("afe").GetString());
        Assert.Equal(301, File.ReadAllLines(csv).Length - 1);
        Assert.True(File.Exists(Path.Combine(report, "report.md")));
        Assert.True(File.Exists(Path.Combine(report, "drive-soc.png")));
    }

    [Fact]
    public void Several_traces_give_a_json_array_and_one_csv_each()
    {
        string a = Trace("a.csv"), b = Trace("b.csv", 10);
        string json = Path.Combine(_dir, "all.json"), csv = Path.Combine(_dir, "t.csv");
        var (exit, _, error) = Run("replay", a, b, "--json", json, "--csv", csv, "--out", Path.Combine(_dir, "rep"));
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        Assert.Equal(new[] { "a.csv", "b.csv" }, doc.RootElement.EnumerateArray().Select(e => e.GetProperty("trace").GetString()));
        Assert.True(File.Exists(Path.Combine(_dir, "t.a.csv")));
        Assert.True(File.Exists(Path.Combine(_dir, "t.b.csv")));
    }

    [Fact]
    public void Malformed_trace_is_refused_before_any_replay_with_its_location()
    {
        string good = Trace("good.csv");
        string bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, "# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n1000,0,3.7\n");
        string json = Path.Combine(_dir, "x.json");
        var (exit, output, error) = Run("replay", good, bad, "--json", json, "--out", Path.Combine(_dir, "rep"));
        Assert.Equal(ReplayRunner.ExitInvalidInput, exit);
        Assert.Contains("bad.csv:6:3: column 3 (v1_mV): '3.7' is not an integer", error);
        Assert.DoesNotContain("good.csv", output); // not even the good one was replayed
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Fail_on_turns_a_reached_level_into_exit_code_3()
    {
        string path = Path.Combine(_dir, "ov.csv");
        using (var w = TraceWriter.Create(path, new Trace(4, 0), false, false))
            for (int s = 0; s <= 5; s++)
                w.Write(new TraceSample(4, 0) { Time_ms = s * 1000L, Current_mA = 0, Cell_mV = { [0] = 4300, [1] = 4000, [2] = 4000, [3] = 4000 } });
        string rep = Path.Combine(_dir, "rep");
        Assert.Equal(0, Run("replay", path, "--out", rep).Exit);
        var (exit, _, error) = Run("replay", path, "--out", rep, "--fail-on", "fault");
        Assert.Equal(ReplayRunner.ExitLevelReached, exit);
        Assert.Contains("ov.csv reached fault", error);
        Assert.Equal(0, Run("replay", Trace("calm.csv"), "--out", rep, "--fail-on", "warning").Exit);
    }

    [Fact]
    public void Missing_file_is_refused()
    {
        var (exit, _, error) = Run("replay", Path.Combine(_dir, "nope.csv"));
        Assert.Equal(ReplayRunner.ExitInvalidInput, exit);
        Assert.Contains("nope.csv: file not found", error);
    }

    [Theory]
    [InlineData("--inject", "crc", "'@TIME' is missing")]
    [InlineData("--inject", "smoke@1s", "unknown fault 'smoke'")]
    [InlineData("--afe", "bq99999", "bq99999")]
    [InlineData("--soc-init", "120", "between 0 and 100")]
    [InlineData("--current-offset-mA", "1.5", "1.5")]
    public void Bad_options_are_refused_with_a_clear_message(string option, string value, string message)
    {
        string trace = Trace("t.csv");
        var (exit, _, error) = Run("replay", trace, option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Injection_the_chip_cannot_show_is_refused()
    {
        string trace = Trace("t.csv");
        var (exit, _, error) = Run("replay", trace, "--inject", "stuck:9@1s", "--out", Path.Combine(_dir, "rep"));
        Assert.Equal(ReplayRunner.ExitInvalidInput, exit);
        Assert.Contains("cell 9 does not exist (the pack has 4 cells)", error);
    }

    [Fact]
    public void Help_documents_the_inject_grammar_and_defaults()
    {
        var (_, output, _) = Run("replay", "--help");
        Assert.Contains("KIND[:TARGET]@TIME[+DURATION]", output);
        Assert.Contains("open-wire:3@300s", output);
        Assert.Contains("--current-offset-mA", output);
        Assert.Contains("bq76952 up to 16 cells", output);
    }

    [Fact]
    public void No_arguments_replays_the_bundled_samples_into_bms_report()
    {
        Assert.NotEmpty(Directory.GetFiles(ReplayCli.SamplesDirectory, "*.csv"));
        string cwd = Environment.CurrentDirectory;
        // the report goes to ./bms-report of the working directory; keep it inside the temp folder
        Environment.CurrentDirectory = _dir;
        try
        {
            var (exit, output, error) = Run();
            Assert.True(exit == 0, error);
            Assert.Contains("hppc-1c-30degC-4s.csv: 4 cells", output);
            Assert.True(File.Exists(Path.Combine(_dir, "bms-report", "report.md")));
            Assert.True(File.Exists(Path.Combine(_dir, "bms-report", "hppc-1c-30degC-4s-voltages.png")));
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
    }

    [Fact]
    public void Import_converts_a_samsung_30q_recording_into_a_valid_trace()
    {
        string input = Path.Combine(_dir, "Q30_S001_4C.csv");
        // a few rows of the constant-current layout: BOM, no header; time s, current A, voltage V, power W, surface °C, strain, ambient °C
        File.WriteAllText(input, "\uFEFF0,-12,4.1,-49.2,25.1,0,25\n1,-12,4.0,-48,25.3,0,25\n2,-12,3.9,-46.8,25.6,0,25\n3,0,3.95,0,25.8,0,25\n");
        string output = Path.Combine(_dir, "q30.csv");
        var (exit, stdout, error) = Run("import", "samsung30q", input, "-o", output, "--series", "3");
        Assert.True(exit == 0, error);
        Assert.Contains("wrote", stdout);
        var trace = TraceReader.ReadAll(output);
        Assert.Equal(3, trace.Cells);
        Assert.Equal(4, trace.Samples.Count);
        Assert.Equal(-12_000, trace.Samples[0].Current_mA);
        Assert.Equal(new[] { 4000, 4000, 4000 }, trace.Samples[1].Cell_mV);
        Assert.True(trace.HasSocReference);
    }

    [Fact]
    public void Import_reports_a_missing_input_and_a_missing_output_option()
    {
        var (exit, _, error) = Run("import", "samsung30q", Path.Combine(_dir, "nope.csv"), "-o", Path.Combine(_dir, "o.csv"));
        Assert.Equal(ReplayRunner.ExitInvalidInput, exit);
        Assert.Contains("file not found", error);
        var (exit2, _, error2) = Run("import", "samsung30q", "x.csv");
        Assert.NotEqual(0, exit2);
        Assert.Contains("--output", error2);
    }
}
