using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Composition;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Replay.Engine;

/// <summary>
/// The real assembly a replay runs: <see cref="AfeStack"/> (emulator + real driver), the real
/// <see cref="BmsSystem"/> configured from the chemistry profile and the pack size, on a
/// <see cref="VirtualClock"/>, driving <see cref="SimulatedContactors"/>. Chips without current sense
/// (LTC681x) get a separate pack current sensor that reads the same physical current; every chip gets a
/// link-voltage sensor on the simulated DC link (for precharge).
/// </summary>
public sealed class FirmwareRig : IReplayRig
{
    private readonly AfeStack _afe;
    private readonly BmsSystem _system;

    private FirmwareRig(AfeStack afe, BmsSystem system, VirtualClock clock, SimulatedContactors contactors)
    {
        _afe = afe;
        _system = system;
        Clock = clock;
        Contactors = contactors;
    }

    /// <summary>Builds the rig; a request the chip or the firmware cannot take is refused with a <see cref="ReplayException"/>.</summary>
    public static IReplayRig Create(RigRequest request)
    {
        ChemistryProfile? chemistry = ChemistryProfiles.FromName(request.Chemistry);
        if (chemistry is null)
            throw new ReplayException("unknown chemistry '" + request.Chemistry + "' (known: " + string.Join(", ", KnownChemistries) + ")");

        var clock = new VirtualClock();
        var afe = AfeStack.Create(request.Afe, request.Cells, request.Temps, clock);
        var contactors = new SimulatedContactors();
        var hardware = new BmsHardware
        {
            Monitor = afe.Driver,
            Clock = clock,
            NegativeContactor = contactors.MainNegativeCoil,
            PositiveContactor = contactors.MainPositiveCoil,
            PrechargeRelay = contactors.PrechargeCoil,
            NegativeFeedback = contactors.MainNegativeFeedback,
            PositiveFeedback = contactors.MainPositiveFeedback,
            Watchdog = new CountingWatchdog(clock),
            Storage = new RamStorage(16 * 1024),
            Log = new MemoryLogSink { Keep = false },
            CurrentSensor = afe.Driver.HasCurrentSense ? null : new PackCurrentSensor(afe.Pack),
            LinkVoltageSensor = new LinkSensor(contactors),
        };
        var config = BmsConfiguration.Create(chemistry, request.Cells, request.Temps, request.Capacity_mAh ?? chemistry.NominalCapacity_mAh);
        if (request.SocInit_pcm is int soc) config.InitialSoc_pcm = soc;
        BmsSystem system;
        try
        {
            system = new BmsSystem(config, hardware);
        }
        catch (ArgumentException e)
        {
            throw new ReplayException(e.Message);
        }
        system.SetEventSink(request.Events);
        return new FirmwareRig(afe, system, clock, contactors);
    }

    /// <summary>The chemistry names <see cref="ChemistryProfiles.FromName"/> knows.</summary>
    public static readonly string[] KnownChemistries =
    {
        ChemistryProfiles.NmcGraphiteName, ChemistryProfiles.LfpName, ChemistryProfiles.LtoName, ChemistryProfiles.LithiumMetalSolidStateName,
    };

    public string AfeName => _afe.Name;
    public int DeviceCount => _afe.DeviceCount;
    public EmulatedPack Pack => _afe.Pack;
    public IChipEmulator Emulator => _afe.Emulator;
    public IReadOnlyCollection<InjectionKind> SupportedInjections => _afe.SupportedInjections;
    public VirtualClock Clock { get; }
    public SimulatedContactors Contactors { get; }

    /// <summary>The firmware itself, for callers that want more than the rig surface.</summary>
    public BmsSystem System => _system;

    public void Start() => _system.Start();
    public void RequestClose() => _system.RequestClose();
    public void Poll() => _system.Poll();
    public int PackSoc_pcm => _system.PackSoc_pcm;
    public string ContactorState => ContactorStateNames[(int)_system.Contactors];
    public int ChargeLimit_mA => _system.ChargeLimit_mA;
    public int DischargeLimit_mA => _system.DischargeLimit_mA;
    public bool[] BalancingCells => _system.BalancingCells;
    public ProtectionLevel HighestActiveLevel => _system.HighestActiveLevel;
    public MeasurementSnapshot Snapshot => _system.Snapshot;
    public CellMonitorStatistics BusStatistics => _afe.Driver.Statistics;

    // cached so the per-tick CSV does not format enum names
    private static readonly string[] ContactorStateNames = Enum.GetNames<Bms.Firmware.Contactors.ContactorState>();

    /// <summary>A shunt/Hall sensor beside a chip without current sense: reads the pack's physical current.</summary>
    private sealed class PackCurrentSensor : IPackCurrentSensor
    {
        private readonly EmulatedPack _pack;
        public PackCurrentSensor(EmulatedPack pack) => _pack = pack;

        public bool TryRead(out int current_mA)
        {
            current_mA = _pack.Current_mA;
            return true;
        }
    }

    /// <summary>The DC-link voltage divider.</summary>
    private sealed class LinkSensor : ILinkVoltageSensor
    {
        private readonly SimulatedContactors _contactors;
        public LinkSensor(SimulatedContactors contactors) => _contactors = contactors;

        public bool TryRead(out int link_mV)
        {
            link_mV = _contactors.LinkVoltage_mV;
            return true;
        }
    }
}
