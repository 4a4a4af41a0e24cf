using Bms.Replay.Engine;
using Bms.Replay.Scenarios;

namespace Bms.Tools.Tests.Scenarios;

/// <summary>
/// Replays every scenario through the real emulators, drivers and firmware and checks its expectation file:
/// the bundled samples (tools/Bms.Replay/samples) and the scenario traces here (tests/Bms.Tools.Tests/Scenarios).
/// Each <c>NAME.csv</c> needs a <c>NAME.expect.json</c>; <c>NAME~VARIANT.expect.json</c> adds runs of the same
/// trace with other settings (injected faults, another chip). A regression in a driver, an emulator or the
/// firmware fails here.
/// </summary>
public class ScenarioSuiteTests
{
    private readonly ITestOutputHelper _output;

    public ScenarioSuiteTests(ITestOutputHelper output) => _output = output;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BmsFirmware.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root (BmsFirmware.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public static IEnumerable<string> ScenarioDirectories => new[]
    {
        Path.Combine(RepoRoot, "tools", "Bms.Replay", "samples"),
        Path.Combine(RepoRoot, "tests", "Bms.Tools.Tests", "Scenarios"),
    };

    /// <summary>Expectation files, as paths relative to the repository root (readable test names).</summary>
    public static TheoryData<string> Expectations()
    {
        var data = new TheoryData<string>();
        foreach (string dir in ScenarioDirectories)
            foreach (string file in Directory.GetFiles(dir, "*.expect.json").OrderBy(f => f, StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(RepoRoot, file).Replace('\\', '/'));
        return data;
    }

    [Theory]
    [MemberData(nameof(Expectations))]
    public void Scenario_meets_its_expectation(string expectation)
    {
        string expectPath = Path.Combine(RepoRoot, expectation);
        var expect = ScenarioExpectation.Load(expectPath);
        string trace = ScenarioExpectation.TracePathFor(expectPath);
        Assert.True(File.Exists(trace), expectation + " has no trace " + trace);

        var result = new ReplayEngine(FirmwareRig.Create).Run(trace, expect.Settings());

        _output.WriteLine(expect.Description);
        _output.WriteLine(Bms.Replay.Output.JsonSummaryWriter.ToJson(new[] { result }));
        var failures = expect.Check(result);
        Assert.True(failures.Count == 0, expectation + ":\n  " + string.Join("\n  ", failures));
    }

    [Fact]
    public void Every_scenario_trace_has_an_expectation_and_every_expectation_a_trace()
    {
        int traces = 0;
        foreach (string dir in ScenarioDirectories)
        {
            foreach (string csv in Directory.GetFiles(dir, "*.csv"))
            {
                traces++;
                string stem = Path.GetFileNameWithoutExtension(csv);
                bool any = File.Exists(Path.Combine(dir, stem + ".expect.json")) || Directory.GetFiles(dir, stem + "~*.expect.json").Length > 0;
                Assert.True(any, csv + " has no " + stem + ".expect.json beside it");
            }
            foreach (string expect in Directory.GetFiles(dir, "*.expect.json"))
                Assert.True(File.Exists(ScenarioExpectation.TracePathFor(expect)), expect + " has no trace");
        }
        Assert.True(traces > 0);
    }

    [Fact]
    public void Every_expectation_file_parses()
    {
        foreach (string dir in ScenarioDirectories)
            foreach (string expect in Directory.GetFiles(dir, "*.expect.json"))
                ScenarioExpectation.Load(expect); // throws with file and reason on a typo
    }
}
