using Bms.Drivers.CellMonitoring;
using Bms.Emulators.Common;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Replay.Engine;

/// <summary>
/// Everything one replay runs: the emulated chip(s) with the pack they measure, the real driver, the real
/// firmware (BmsSystem) on a virtual clock, and the simulated contactor circuit. The engine only sets the
/// physics (pack values, injected faults), advances the clock and polls; it reads back what the firmware
/// decided through this interface. <see cref="FirmwareRig"/> is the real assembly; tests may use a fake.
/// </summary>
public interface IReplayRig
{
    /// <summary>Chip name as given to --afe (bq76952, bq76940, ltc6813).</summary>
    string AfeName { get; }

    /// <summary>Devices on the bus (daisy-chain length; 1 for I2C chips).</summary>
    int DeviceCount { get; }

    /// <summary>The physical quantities the emulated chip measures. Its Current_mA is what the current sensor sees.</summary>
    EmulatedPack Pack { get; }

    /// <summary>The emulated chip, for fault injection.</summary>
    IChipEmulator Emulator { get; }

    /// <summary>The faults <see cref="Emulator"/> can show.</summary>
    IReadOnlyCollection<InjectionKind> SupportedInjections { get; }

    /// <summary>The firmware's time source.</summary>
    VirtualClock Clock { get; }

    /// <summary>The contactors the firmware drives.</summary>
    SimulatedContactors Contactors { get; }

    /// <summary>Starts the firmware (driver init, start-up checks).</summary>
    void Start();

    /// <summary>Asks the firmware to close the contactors (precharge first).</summary>
    void RequestClose();

    /// <summary>One firmware scheduler pass at the clock's current time.</summary>
    void Poll();

    int PackSoc_pcm { get; }

    /// <summary>The firmware's contactor state, by name (for the CSV and the report).</summary>
    string ContactorState { get; }

    int ChargeLimit_mA { get; }
    int DischargeLimit_mA { get; }

    /// <summary>Cells whose balancing resistors are on, index 0 = cell 1.</summary>
    bool[] BalancingCells { get; }

    ProtectionLevel HighestActiveLevel { get; }

    /// <summary>The firmware's measurement snapshot of the last tick.</summary>
    MeasurementSnapshot Snapshot { get; }

    /// <summary>The driver's bus counters.</summary>
    CellMonitorStatistics BusStatistics { get; }
}

/// <summary>What a rig is built for.</summary>
public sealed record RigRequest(
    string Afe,
    int Cells,
    int Temps,
    string Chemistry,
    int? Capacity_mAh,
    int? SocInit_pcm,
    IBmsEventSink Events);
