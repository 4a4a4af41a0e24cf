using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.System;

/// <summary>
/// The periodic open-wire check keeps its time even when the estimator-state save is due in the same 1 s run (the
/// save waits a second, so the two bursts never share a run), and the saves still happen.
/// </summary>
public class OpenWireCheckTimingTests
{
    private sealed class RecordingMonitor : ICellMonitor
    {
        private readonly FakeCellMonitor _inner;
        private readonly Func<long> _now_ms;
        public readonly List<long> Checks = new();

        public RecordingMonitor(FakeCellMonitor inner, Func<long> now_ms) { _inner = inner; _now_ms = now_ms; }
        public int CellCount => _inner.CellCount;
        public int TemperatureCount => _inner.TemperatureCount;
        public bool HasCurrentSense => _inner.HasCurrentSense;
        public bool HasFetControl => _inner.HasFetControl;
        public CellMonitorStatistics Statistics => _inner.Statistics;
        public bool Initialize() => _inner.Initialize();
        public bool Measure(CellMonitorReadings readings) => _inner.Measure(readings);
        public bool ReadCurrent(CellMonitorReadings readings) => _inner.ReadCurrent(readings);
        public bool SetBalancing(bool[] cellsToDischarge) => _inner.SetBalancing(cellsToDischarge);
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn) => _inner.SetProtectionFets(chargeOn, dischargeOn);
        public bool CheckOpenWires(bool[] openWire) { Checks.Add(_now_ms()); return _inner.CheckOpenWires(openWire); }
    }

    [Fact]
    public void The_check_keeps_its_period_when_a_save_is_due_in_the_same_run_and_finds_the_wire()
    {
        SystemRig? rigRef = null;
        RecordingMonitor? monitor = null;
        var rig = rigRef = new SystemRig(configure: c => { c.OpenWireCheckPeriod_ms = 10_000; c.SocPersistPeriod_ms = 10_000; },
            wrapMonitor: m => monitor = new RecordingMonitor(m, () => rigRef!.Clock.Now_ms));
        rig.Bms.Start();
        long start = rig.Clock.Now_ms;
        rig.RunMs(65_000);
        Assert.Equal(6, monitor!.Checks.Count);
        for (int i = 0; i < monitor.Checks.Count; i++)
        {
            // The 1 s task runs 50 ms after the 100 ms task; both duties are due every 10 s from the start.
            Assert.Equal(start + 50 + 10_000 * (i + 1), monitor.Checks[i]);
        }
        Assert.True(rig.Storage.Writes >= 6, $"{rig.Storage.Writes} writes");

        rig.Monitor.OpenWires![2] = true;
        rig.RunMs(10_000);
        var e = rig.Sink.Events.Single(x => x.Code == BmsEventCode.OpenWire && x.Active);
        Assert.Equal(2, e.Cell);
        Assert.Equal(start + 50 + 70_000, e.Time_ms);
    }
}
