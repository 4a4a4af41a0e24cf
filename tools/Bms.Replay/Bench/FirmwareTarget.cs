using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;

namespace Bms.Replay.Bench;

/// <summary>
/// The whole firmware as the device runs it: <see cref="BmsSystem"/> over the real driver and the chip emulator,
/// host fakes for contactor coils, link voltage (precharge model), watchdog and non-volatile memory, a separate
/// current sensor for chains whose AFE has none. Started, asked to close the contactors, then polled every 10 ms.
/// </summary>
internal sealed class FirmwareTarget : IBenchTarget
{
    private readonly AfeRig _rig;
    private readonly BmsSystem _system;
    private readonly FakeLinkVoltageSensor _link;
    private readonly FakeCurrentSensor? _currentSensor;
    private long _now_ms;

    public FirmwareTarget(AfeRig rig, bool metered)
    {
        HostAllocationMeter meter = rig.Meter;
        _rig = rig;
        ICellMonitor monitor = rig.Driver;
        var negative = new RecordingOutput("neg");
        var positive = new RecordingOutput("pos");
        var precharge = new RecordingOutput("pre");
        _link = new FakeLinkVoltageSensor(rig.Clock)
        {
            ChargingFrom = () => negative.State && (precharge.State || positive.State),
        };
        _currentSensor = monitor.HasCurrentSense ? null : new FakeCurrentSensor();

        var configuration = BmsConfiguration.Create(ChemistryProfiles.NmcGraphite, monitor.CellCount, monitor.TemperatureCount, 3000);
        configuration.InitialSoc_pcm = 60000;
        // Every host fake goes through the meter, so that what remains is the firmware's own allocation.
        var hardware = new BmsHardware
        {
            Monitor = monitor,
            Clock = rig.FirmwareClock,
            NegativeContactor = metered ? meter.Wrap(negative) : negative,
            PositiveContactor = metered ? meter.Wrap(positive) : positive,
            PrechargeRelay = metered ? meter.Wrap(precharge) : precharge,
            Watchdog = metered ? meter.Wrap(new CountingWatchdog(rig.Clock)) : new CountingWatchdog(rig.Clock),
            Storage = metered ? meter.Wrap(new RamStorage(8192)) : new RamStorage(8192),
            Log = metered ? meter.Wrap(new MemoryLogSink()) : new MemoryLogSink(),
            CurrentSensor = _currentSensor is null ? null : metered ? new MeteredCurrentSensor(_currentSensor, meter) : _currentSensor,
            LinkVoltageSensor = metered ? new MeteredLinkSensor(_link, meter) : _link,
        };
        _system = new BmsSystem(configuration, hardware);
        _now_ms = rig.Clock.Now_ms;
    }

    public string Key => _rig.Key;
    public string Composition => "BmsSystem";
    public int CellCount => _rig.Driver.CellCount;
    public int TemperatureCount => _rig.Driver.TemperatureCount;
    public BenchBus Bus => _rig.Bus;
    public int MinimumBusBytesPerScan => _rig.MinimumBusBytesPerScan;
    public CellMonitorStatistics BusStatistics => _rig.Driver.Statistics;
    public object RamRoot => _system;
    public long HostAllocatedBytes => _rig.Meter.HostBytes;
    public string State => $"contactors {_system.Contactors}, highest level {_system.HighestActiveLevel}, SoC {_system.PackSoc_pcm / 1000.0:0.0} %, AFE scan {(_system.Snapshot.AfeScanOk ? "ok" : "FAILED")}, overruns {_system.TaskOverruns}";

    public void Start()
    {
        SetSample(0);
        _system.Start();
        _system.RequestClose();
    }

    public void SetSample(long sampleIndex)
    {
        EmulatedPack pack = _rig.Pack;
        BenchTargets.ApplySample(pack, sampleIndex);
        _link.Pack_mV = pack.StackVoltage_mV;
        if (_currentSensor is not null) _currentSensor.Current_mA = pack.Current_mA;
    }

    public void Tick()
    {
        for (int poll = 0; poll < 10; poll++)
        {
            _now_ms += 10;
            _rig.Clock.AdvanceTo_ms(_now_ms);
            _system.Poll();
        }
    }

    /// <summary>The firmware's view, for the bench's sanity checks (contactors closed, no fault).</summary>
    public BmsSystem System => _system;

    private sealed class MeteredLinkSensor(ILinkVoltageSensor inner, HostAllocationMeter meter) : ILinkVoltageSensor
    {
        public bool TryRead(out int link_mV)
        {
            long begin = meter.Begin();
            try { return inner.TryRead(out link_mV); }
            finally { meter.End(begin); }
        }
    }

    private sealed class MeteredCurrentSensor(IPackCurrentSensor inner, HostAllocationMeter meter) : IPackCurrentSensor
    {
        public bool TryRead(out int current_mA)
        {
            long begin = meter.Begin();
            try { return inner.TryRead(out current_mA); }
            finally { meter.End(begin); }
        }
    }
}
