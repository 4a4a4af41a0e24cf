using Bms.Firmware.Events;
using Bms.Replay.Engine;
using Bms.Replay.Scenarios;

namespace Bms.Tools.Tests.Replay;

public class ScenarioExpectationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bms-expect-" + Guid.NewGuid());

    public ScenarioExpectationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private ScenarioExpectation Load(string json)
    {
        string path = Path.Combine(_dir, "s.expect.json");
        File.WriteAllText(path, json);
        return ScenarioExpectation.Load(path);
    }

    private static ReplayResult Result(params ReplayEvent[] events) => new()
    {
        Trace = "s.csv", TracePath = "s.csv", Cells = 4, Temps = 2, Samples = 10, Duration_s = 600, Afe = "bq76952", Chemistry = "nmc-graphite",
        Events = events,
        HighestLevel = events.Length == 0 ? ProtectionLevel.None : events.Max(e => e.Level),
        ContactorsOpened_s = events.Any(e => e.Level == ProtectionLevel.Fault) ? events.First(e => e.Level == ProtectionLevel.Fault).Time_ms / 1000.0 + 0.02 : null,
        Bus = new BusFigures(0, 0, 0, 0), Perf = new PerfFigures(0, 0), Series = new ReplaySeries(4, 2, 100),
    };

    private static ReplayEvent Ev(long ms, BmsEventCode code, ProtectionLevel level, int cell = -1, bool active = true) => new(ms, code, level, cell, active);

    [Fact]
    public void Variant_files_belong_to_the_trace_before_the_tilde()
    {
        Assert.Equal(Path.Combine("d", "drive.csv"), ScenarioExpectation.TracePathFor(Path.Combine("d", "drive.expect.json")));
        Assert.Equal(Path.Combine("d", "drive.csv"), ScenarioExpectation.TracePathFor(Path.Combine("d", "drive~afe-lost.expect.json")));
    }

    [Fact]
    public void Settings_come_from_the_file()
    {
        var e = Load("""{ "afe": "ltc6813", "chemistry": "lfp", "soc_init_pct": 55.5, "current_offset_mA": -20, "inject": ["crc@60s+1s"], "stop_after_s": 90 }""");
        var s = e.Settings();
        Assert.Equal("ltc6813", s.Afe);
        Assert.Equal("lfp", s.Chemistry);
        Assert.Equal(55_500, s.SocInit_pcm);
        Assert.Equal(-20, s.CurrentOffset_mA);
        Assert.Equal(InjectionKind.Crc, Assert.Single(s.Injections).Kind);
        Assert.Equal(90_000, s.StopAfter_ms);
    }

    [Fact]
    public void Must_needs_a_matching_event_in_time_at_or_above_the_level()
    {
        var e = Load("""{ "must": [ { "code": "ThermalRunaway", "level": "alarm", "cell": 3, "by_s": 120 } ] }""");
        Assert.Empty(e.Check(Result(Ev(100_000, BmsEventCode.ThermalRunaway, ProtectionLevel.Fault, 2))));
        Assert.Single(e.Check(Result(Ev(121_000, BmsEventCode.ThermalRunaway, ProtectionLevel.Alarm, 2))));   // too late
        Assert.Single(e.Check(Result(Ev(100_000, BmsEventCode.ThermalRunaway, ProtectionLevel.Warning, 2))));   // too low
        Assert.Single(e.Check(Result(Ev(100_000, BmsEventCode.ThermalRunaway, ProtectionLevel.Alarm, 1))));   // other cell
        Assert.Single(e.Check(Result(Ev(100_000, BmsEventCode.ThermalRunaway, ProtectionLevel.Alarm, 2, active: false))));   // a clear
        Assert.Contains("no such event", e.Check(Result())[0]);
    }

    [Fact]
    public void Must_not_and_max_level_catch_alarms_in_a_normal_scenario()
    {
        var e = Load("""{ "must_not": [ { "code": "*", "level": "alarm" } ], "max_level": "warning" }""");
        Assert.Empty(e.Check(Result(Ev(5000, BmsEventCode.CellImbalance, ProtectionLevel.Warning, 0))));
        var failures = e.Check(Result(Ev(5000, BmsEventCode.OverTemperatureDischarge, ProtectionLevel.Alarm, 1)));
        Assert.Equal(2, failures.Count);
        Assert.Contains("forbidden: OverTemperatureDischarge/alarm cell 2 at 5 s", failures[0]);
        Assert.Contains("exceeds the allowed warning", failures[1]);
    }

    [Fact]
    public void Contactor_and_soc_limits_are_checked()
    {
        var e = Load("""{ "contactors_open_by_s": 10, "soc": { "max_rmse_pct": 1 } }""");
        var failures = e.Check(Result());
        Assert.Contains(failures, f => f.Contains("never opened"));
        Assert.Contains(failures, f => f.Contains("no soc_ref_pcm"));
        Assert.Empty(Load("""{ "contactors_open_by_s": 10 }""").Check(Result(Ev(5000, BmsEventCode.AfeCommunication, ProtectionLevel.Fault))));
        Assert.Single(Load("""{ "contactors_stay_closed": true }""").Check(Result(Ev(5000, BmsEventCode.AfeCommunication, ProtectionLevel.Fault))));
    }

    [Theory]
    [InlineData("""{ "must_nt": [] }""", "unknown key 'must_nt'")]
    [InlineData("""{ "must": [ { "code": "CellOvervoltage" } ] }""", "is not a BmsEventCode")]
    [InlineData("""{ "must": [ { "level": "alarm" } ] }""", "needs a 'code'")]
    [InlineData("""{ "must": [ { "code": "*", "level": "severe" } ] }""", "level 'severe'")]
    [InlineData("""{ "must": [ { "code": "*", "by": 3 } ] }""", "unknown key 'must[].by'")]
    [InlineData("""{ "soc": { "rmse": 3 } }""", "unknown key 'soc.rmse'")]
    [InlineData("""{ "inject": ["crc"] }""", "'@TIME' is missing")]
    [InlineData("""[]""", "top level must be an object")]
    public void Typos_are_refused_with_file_and_reason(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Load(json));
        Assert.Contains("s.expect.json", e.Message);
        Assert.Contains(reason, e.Message);
    }
}
