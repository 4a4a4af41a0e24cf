using System.Text.Json;
using Bms.Firmware.Events;
using Bms.Replay.Engine;
using Bms.Replay.Output;
using Bms.Traces;

namespace Bms.Tools.Tests.Replay;

public class ReplayEngineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bms-engine-" + Guid.NewGuid());
    private FakeRig? _rig;

    public ReplayEngineTests() => Directory.CreateDirectory(_dir);

    public void Dispose() { if (Environment.GetEnvironmentVariable("BMS_KEEP_TEST_OUTPUT") is null) Directory.Delete(_dir, true); }

    private ReplayEngine Engine(int devices = 1) => new(request => _rig = new FakeRig(request, devices));

    /// <summary>2 cells, 1 temperature, one row per second, constant discharge, reference SoC falling in step.</summary>
    private string WriteTrace(string name, int seconds, int current_mA, Func<int, int>? cell_mV = null, int startSoc_pcm = 80_000,
        Action<TraceSample, int>? tweak = null)
    {
        var header = new Trace(2, 1) { Capacity_mAh = 3000, Chemistry = "lfp" };
        string path = Path.Combine(_dir, name);
        using var w = TraceWriter.Create(path, header, socReferenceColumn: true, eventColumn: false);
        for (int s = 0; s <= seconds; s++)
        {
            var sample = new TraceSample(2, 1) { Time_ms = 5000 + s * 1000L, Current_mA = current_mA };
            sample.Cell_mV[0] = cell_mV?.Invoke(s) ?? 3300;
            sample.Cell_mV[1] = 3301;
            sample.Temp_dC[0] = 250;
            // reference: exact coulomb count of the trace current
            sample.SocRef_pcm = startSoc_pcm + (int)((long)current_mA * s * 1000 * 100_000 / (3000L * 3_600_000));
            tweak?.Invoke(sample, s);
            w.Write(sample);
        }
        return path;
    }

    [Fact]
    public void Replays_from_the_first_row_in_10ms_polls_with_settings_and_defaults()
    {
        string path = WriteTrace("drive.csv", 60, -3000);
        var result = Engine().Run(path, new ReplaySettings { SocInit_pcm = 80_000 });

        Assert.Equal("drive.csv", result.Trace);
        Assert.Equal(2, result.Cells);
        Assert.Equal(61, result.Samples);
        Assert.Equal(60.0, result.Duration_s);
        Assert.Equal("bq76952", result.Afe);           // ≤ 16 cells
        Assert.Equal("lfp", result.Chemistry);         // from the trace metadata
        Assert.Equal(6001, result.Perf.Ticks);         // 0..60 000 ms every 10 ms
        Assert.Equal(1, _rig!.Starts);
        Assert.Equal(60_000, _rig.Clock.Now_ms);
        Assert.Equal(42, result.Bus.BytesPerScan);
        Assert.Equal(6001, result.Bus.Transfers);
    }

    [Fact]
    public void Options_override_afe_and_chemistry_and_big_packs_default_to_ltc6813()
    {
        string path = WriteTrace("a.csv", 2, 0);
        var result = Engine().Run(path, new ReplaySettings { Afe = "bq76940", Chemistry = "lto" });
        Assert.Equal("bq76940", result.Afe);
        Assert.Equal("lto", result.Chemistry);
        Assert.Equal("ltc6813", ReplayEngine.DefaultAfe(17));
        Assert.Equal("bq76952", ReplayEngine.DefaultAfe(16));
    }

    [Fact]
    public void Current_flows_only_once_the_contactors_are_closed_and_soc_error_is_measured_against_the_reference()
    {
        string path = WriteTrace("drive.csv", 900, -3000);
        var result = Engine().Run(path, new ReplaySettings { SocInit_pcm = 80_000 });
        var soc = result.Soc!;
        Assert.Equal(901, soc.Count);
        // the fake counts the sensed current exactly; the only error is the charge missed during precharge
        // (~0.3 s of 3 A = 0.0083 %), so the firmware ends slightly above the reference
        Assert.InRange(soc.FinalError_pct, 0.001, 0.05);
        Assert.InRange(soc.Rmse_pct, 0.001, 0.05);
        Assert.True(soc.MaxAbsErrorAfterSettling_pct > 0);
        Assert.Null(result.ContactorsOpened_s);
        Assert.Equal(ProtectionLevel.None, result.HighestLevel);
    }

    [Fact]
    public void Rows_before_the_estimator_started_are_not_compared()
    {
        string path = WriteTrace("late.csv", 10, 0);
        var engine = new ReplayEngine(request => _rig = new FakeRig(request) { SocUnknownUntil_ms = 2500 });
        var result = engine.Run(path, new ReplaySettings { SocInit_pcm = 80_000 });
        Assert.Equal(8, result.Soc!.Count);          // rows at 3..10 s
        Assert.Equal(3, result.Soc.NotStarted);      // rows at 0, 1, 2 s
        Assert.Equal(0, result.Soc.MaxAbsError_pct);

        var never = new ReplayEngine(request => _rig = new FakeRig(request) { SocUnknownUntil_ms = long.MaxValue });
        var none = never.Run(path, new ReplaySettings());
        Assert.Equal(0, none.Soc!.Count);
        using var doc = JsonDocument.Parse(JsonSummaryWriter.ToJson(new[] { none }));
        var soc = doc.RootElement.GetProperty("soc");
        Assert.Equal(JsonValueKind.Object, soc.ValueKind);
        Assert.Equal(JsonValueKind.Null, soc.GetProperty("rmse_pct").ValueKind);
    }

    [Fact]
    public void Current_offset_reaches_the_firmware()
    {
        string path = WriteTrace("rest.csv", 600, 0, startSoc_pcm: 50_000);
        var result = Engine().Run(path, new ReplaySettings { SocInit_pcm = 50_000, CurrentOffset_mA = 300 });
        // 300 mA for 600 s into 3000 mAh = +1.667 % (the offset is there even with open contactors)
        Assert.InRange(result.Soc!.FinalError_pct, 1.6, 1.7);
    }

    [Fact]
    public void Missing_samples_hold_the_last_recorded_value()
    {
        string path = WriteTrace("gaps.csv", 20, -1000, tweak: (s, i) =>
        {
            if (i >= 5 && i < 15) { s.Current_mA = Trace.Missing; s.Cell_mV[0] = Trace.Missing; }
        });
        var result = Engine().Run(path, new ReplaySettings { SocInit_pcm = 80_000 });
        Assert.Equal(ProtectionLevel.None, result.HighestLevel);
        // held current keeps flowing: the count matches the reference that assumed -1000 mA throughout
        Assert.InRange(result.Soc!.FinalError_pct, -0.01, 0.01);
        Assert.All(result.Series.CellTrue_mV[0], v => Assert.Equal(3300, v));
    }

    [Fact]
    public void Events_and_the_contactor_opening_are_recorded_in_trace_time()
    {
        string path = WriteTrace("ov.csv", 30, 1000, cell_mV: s => s >= 12 ? 4300 : 4100);
        var result = Engine().Run(path, new ReplaySettings());
        var e = Assert.Single(result.Raised);
        Assert.Equal(BmsEventCode.CellOverVoltage, e.Code);
        Assert.Equal(ProtectionLevel.Fault, e.Level);
        Assert.Equal(0, e.Cell);
        Assert.Equal(12_000, e.Time_ms);
        Assert.NotNull(result.ContactorsOpened_s);
        Assert.InRange(result.ContactorsOpened_s!.Value, 12.0, 12.05);   // opening takes a few ms
        Assert.Equal(ProtectionLevel.Fault, result.HighestLevel);
        Assert.Null(result.ThermalRunawayAlarm_s);
    }

    [Fact]
    public void Injections_start_and_end_on_time_and_are_checked_against_the_pack()
    {
        string path = WriteTrace("inj.csv", 10, 0);
        var settings = new ReplaySettings
        {
            Injections = new[] { InjectionSpec.Parse("nack@2s+3s"), InjectionSpec.Parse("stuck:2@1s"), InjectionSpec.Parse("reset@4s") },
        };
        Engine().Run(path, settings);
        var log = ((FakeEmulator)_rig!.Emulator).Log;
        Assert.Equal(new[] { "1000 inject StuckValue 1", "2000 inject Nack -1", "4000 inject ChipReset -1", "5000 clear Nack" }, log);

        var bad = new ReplaySettings { Injections = new[] { InjectionSpec.Parse("stuck:3@1s") } };
        var e = Assert.Throws<ReplayException>(() => Engine().Run(path, bad));
        Assert.Contains("cell 3 does not exist", e.Message);
        var noChain = new ReplaySettings { Injections = new[] { InjectionSpec.Parse("missing:1@1s") } };
        Assert.Throws<ReplayException>(() => Engine().Run(path, noChain));
    }

    [Fact]
    public void In_memory_traces_replay_like_files()
    {
        var trace = TraceReader.ReadAll(WriteTrace("mem.csv", 20, -1000));
        trace.Name = "generated.csv";
        var result = Engine().Run(trace, new ReplaySettings { SocInit_pcm = 80_000 });
        Assert.Equal("generated.csv", result.Trace);
        Assert.Equal(21, result.Samples);
        Assert.Equal(2001, result.Perf.Ticks);
    }

    [Fact]
    public void Malformed_trace_replays_nothing()
    {
        string path = WriteTrace("bad.csv", 100, -1000);
        File.AppendAllText(path, "0,0,3300,3300,250,50000\n"); // time goes backwards on the last line
        _rig = null;
        Assert.Throws<TraceFormatException>(() => Engine().Run(path, new ReplaySettings()));
        Assert.Null(_rig); // the rig was never built, the firmware never polled
    }

    [Fact]
    public void Tick_csv_has_one_row_per_100ms_and_the_contract_columns()
    {
        string path = WriteTrace("csv.csv", 5, -3000);
        string csv = Path.Combine(_dir, "ticks.csv");
        Engine().Run(path, new ReplaySettings { CsvPath = csv, SocInit_pcm = 80_000 });
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("time_ms,soc_pcm,contactors,charge_limit_mA,discharge_limit_mA,balancing_mask,level", lines[0]);
        Assert.Equal(51 + 1, lines.Length);
        Assert.StartsWith("0,80000,Precharging,3000,6000,0,none,", lines[1]);
        var last = lines[^1].Split(',');
        Assert.Equal("5000", last[0]);
        Assert.Equal("Closed", last[2]);
        Assert.Equal("-3000", last[7]);
        Assert.Equal("3300", last[8]);
        Assert.Equal("3301", last[9]);
        Assert.Equal("250", last[10]);
    }

    [Fact]
    public void Json_summary_has_exactly_the_contract_keys()
    {
        string path = WriteTrace("ov.csv", 30, 1000, cell_mV: s => s >= 12 ? 4300 : 4100);
        var result = Engine().Run(path, new ReplaySettings());
        using var doc = JsonDocument.Parse(JsonSummaryWriter.ToJson(new[] { result }));
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Assert.Equal(new[] { "trace", "cells", "samples", "duration_s", "afe", "soc", "events", "thermal_runaway_alarm_s", "contactors_opened_s", "bus", "perf" },
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ov.csv", root.GetProperty("trace").GetString());
        Assert.Equal(31, root.GetProperty("samples").GetInt64());
        Assert.Equal(30.0, root.GetProperty("duration_s").GetDouble());
        Assert.Equal(new[] { "rmse_pct", "max_abs_err_pct", "max_abs_err_after_600s_pct", "final_err_pct" },
            root.GetProperty("soc").EnumerateObject().Select(p => p.Name));
        var ev = root.GetProperty("events")[0];
        Assert.Equal(new[] { "t_s", "level", "code", "cell" }, ev.EnumerateObject().Select(p => p.Name));
        Assert.Equal(12.0, ev.GetProperty("t_s").GetDouble());
        Assert.Equal("fault", ev.GetProperty("level").GetString());
        Assert.Equal("CellOverVoltage", ev.GetProperty("code").GetString());
        Assert.Equal(1, ev.GetProperty("cell").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("thermal_runaway_alarm_s").ValueKind);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("contactors_opened_s").ValueKind);
        Assert.Equal(new[] { "bytes_per_scan", "transfers", "crc_errors", "retries" }, root.GetProperty("bus").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "ticks", "alloc_bytes_per_tick" }, root.GetProperty("perf").EnumerateObject().Select(p => p.Name));
        Assert.Equal(3001, root.GetProperty("perf").GetProperty("ticks").GetInt64());

        using var two = JsonDocument.Parse(JsonSummaryWriter.ToJson(new[] { result, result }));
        Assert.Equal(JsonValueKind.Array, two.RootElement.ValueKind);
        Assert.Equal(2, two.RootElement.GetArrayLength());
    }

    [Fact]
    public void Soc_is_null_without_a_reference_and_cell_is_null_for_pack_events()
    {
        var header = new Trace(1, 0);
        string path = Path.Combine(_dir, "noref.csv");
        using (var w = TraceWriter.Create(path, header, false, false))
            for (int s = 0; s <= 3; s++) w.Write(new TraceSample(1, 0) { Time_ms = s * 1000L, Current_mA = 0, Cell_mV = { [0] = 3700 } });
        var result = Engine().Run(path, new ReplaySettings());
        Assert.Null(result.Soc);
        var withPackEvent = new ReplayResult
        {
            Trace = "x", TracePath = "x", Cells = 1, Temps = 0, Samples = 1, Duration_s = 0, Afe = "bq76952", Chemistry = "lfp",
            Events = new[] { new ReplayEvent(1500, BmsEventCode.AfeCommunication, ProtectionLevel.Alarm, -1, true), new ReplayEvent(2000, BmsEventCode.AfeCommunication, ProtectionLevel.Alarm, -1, false) },
            Bus = new BusFigures(1, 2, 3, 4), Perf = new PerfFigures(5, 0), Series = new ReplaySeries(1, 0, 100),
        };
        using var doc = JsonDocument.Parse(JsonSummaryWriter.ToJson(new[] { withPackEvent }));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("soc").ValueKind);
        var events = doc.RootElement.GetProperty("events");
        Assert.Equal(1, events.GetArrayLength()); // clears are not listed
        Assert.Equal(JsonValueKind.Null, events[0].GetProperty("cell").ValueKind);
        Assert.Equal("alarm", events[0].GetProperty("level").GetString());
    }

    [Fact]
    public void Report_folder_has_markdown_json_and_six_pngs()
    {
        string path = WriteTrace("ov.csv", 30, 1000, cell_mV: s => s >= 12 ? 4300 : 4100);
        var result = Engine().Run(path, new ReplaySettings());
        string report = ReportWriter.Write(Path.Combine(_dir, "report"), new[] { result });
        string md = File.ReadAllText(report);
        Assert.Contains("## ov.csv", md);
        Assert.Contains("CellOverVoltage", md);
        foreach (var suffix in new[] { "voltages", "current", "temperatures", "soc", "limits", "timeline" })
        {
            string png = Path.Combine(_dir, "report", "ov-" + suffix + ".png");
            Assert.True(File.Exists(png), png);
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 5000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes.Take(4));
            Assert.Contains("](ov-" + suffix + ".png)", md);
        }
        Assert.True(File.Exists(Path.Combine(_dir, "report", "summary.json")));
    }

    [Fact]
    public void Balancing_mask_is_decimal_with_cell_1_in_bit_0_for_any_pack_size()
    {
        Assert.Equal("0", TickCsvWriter.BalancingMask(new bool[4]));
        Assert.Equal("5", TickCsvWriter.BalancingMask(new[] { true, false, true, false }));
        var big = new bool[70];
        big[69] = true;
        Assert.Equal(System.Numerics.BigInteger.Pow(2, 69).ToString(), TickCsvWriter.BalancingMask(big));
    }
}
