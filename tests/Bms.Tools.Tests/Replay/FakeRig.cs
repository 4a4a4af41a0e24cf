using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;
using Bms.Replay.Engine;

namespace Bms.Tools.Tests.Replay;

/// <summary>
/// A stand-in for the firmware with obvious, checkable behaviour, to test the engine's plumbing on its own:
/// precharges and closes when asked, counts charge from the sensed current, and opens with a CellOverVoltage
/// fault when any cell exceeds 4250 mV.
/// </summary>
internal sealed class FakeRig : IReplayRig
{
    private readonly RigRequest _request;
    private bool _closeRequested;
    private long _charge_mAms;
    private long _lastPoll_ms = -1;
    private bool _faulted;

    public FakeRig(RigRequest request, int devices = 1)
    {
        _request = request;
        DeviceCount = devices;
        Pack = new EmulatedPack(request.Cells, request.Temps);
        Emulator = new FakeEmulator(Pack, Clock);
        Snapshot = new MeasurementSnapshot(request.Cells, request.Temps);
        BalancingCells = new bool[request.Cells];
        int capacity = request.Capacity_mAh ?? 3000;
        _capacity_mAms = capacity * 3_600_000L;
        _charge_mAms = (request.SocInit_pcm ?? 50_000) * _capacity_mAms / 100_000;
    }

    private readonly long _capacity_mAms;

    public string AfeName => _request.Afe;
    public int DeviceCount { get; }
    public EmulatedPack Pack { get; }
    public IChipEmulator Emulator { get; }
    public VirtualClock Clock { get; } = new();
    public IReadOnlyCollection<InjectionKind> SupportedInjections { get; set; } = Enum.GetValues<InjectionKind>();
    public SimulatedContactors Contactors { get; } = new();
    public string ContactorState { get; private set; } = "Open";
    public int PackSoc_pcm => Clock.Now_ms < SocUnknownUntil_ms ? -1 : (int)(_charge_mAms * 100_000 / _capacity_mAms);

    /// <summary>Like the firmware before its estimator starts: PackSoc_pcm is -1 until then.</summary>
    public long SocUnknownUntil_ms { get; set; }
    public int ChargeLimit_mA => _faulted ? 0 : 3000;
    public int DischargeLimit_mA => _faulted ? 0 : 6000;
    public bool[] BalancingCells { get; }
    public ProtectionLevel HighestActiveLevel => _faulted ? ProtectionLevel.Fault : ProtectionLevel.None;
    public MeasurementSnapshot Snapshot { get; }
    public CellMonitorStatistics BusStatistics { get; } = new() { LastScanBusBytes = 42 };
    public int Starts { get; private set; }

    public void Start() => Starts++;

    public void RequestClose() => _closeRequested = true;

    public void Poll()
    {
        long now = Clock.Now_ms;
        if (_lastPoll_ms >= 0) _charge_mAms += (long)Pack.Current_mA * (now - _lastPoll_ms);
        _lastPoll_ms = now;
        BusStatistics.Transfers++;

        Snapshot.Time_ms = now;
        for (int i = 0; i < Pack.CellCount; i++)
        {
            Snapshot.CellVoltage_mV[i] = Pack.CellVoltage_mV[i];
            Snapshot.CellValid[i] = true;
        }
        for (int i = 0; i < Pack.TemperatureCount; i++)
        {
            Snapshot.Temperature_dC[i] = Pack.Temperature_dC[i];
            Snapshot.TemperatureValid[i] = true;
        }
        Snapshot.Current_mA = Pack.Current_mA;
        Snapshot.CurrentValid = true;

        if (!_faulted)
        {
            for (int i = 0; i < Pack.CellCount; i++)
            {
                if (Pack.CellVoltage_mV[i] > 4250)
                {
                    _faulted = true;
                    _request.Events.OnEvent(now, BmsEventCode.CellOverVoltage, ProtectionLevel.Fault, i, true);
                    break;
                }
            }
        }

        if (_faulted)
        {
            Contactors.MainPositiveCoil.Write(false);
            Contactors.MainNegativeCoil.Write(false);
            Contactors.PrechargeCoil.Write(false);
            ContactorState = "Fault";
            return;
        }
        switch (ContactorState)
        {
            case "Open" when _closeRequested:
                Contactors.MainNegativeCoil.Write(true);
                Contactors.PrechargeCoil.Write(true);
                ContactorState = "Precharging";
                break;
            case "Precharging" when Contactors.LinkVoltage_mV * 100L >= Pack.StackVoltage_mV * 95L && Contactors.PrechargeFeedback.Read():
                Contactors.MainPositiveCoil.Write(true);
                Contactors.PrechargeCoil.Write(false);
                ContactorState = "Closed";
                break;
        }
    }
}

internal sealed class FakeEmulator : IChipEmulator
{
    private readonly VirtualClock _clock;

    public FakeEmulator(EmulatedPack pack, VirtualClock clock)
    {
        Pack = pack;
        _clock = clock;
    }

    public EmulatedPack Pack { get; }
    public List<string> Log { get; } = new();

    public void Inject(EmulatorFault fault, int target = -1) => Log.Add(_clock.Now_ms + " inject " + fault + " " + target);
    public void Clear(EmulatorFault fault) => Log.Add(_clock.Now_ms + " clear " + fault);
    public void ClearAll() => Log.Add(_clock.Now_ms + " clear all");
}
