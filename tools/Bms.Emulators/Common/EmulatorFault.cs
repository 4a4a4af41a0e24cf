namespace Bms.Emulators.Common;

/// <summary>Failures an emulated chip can be told to show. Each emulator supports the kinds its chip can have.</summary>
public enum EmulatorFault
{
    /// <summary>Answers carry a wrong CRC/PEC.</summary>
    CorruptCrc,
    /// <summary>The chip does not acknowledge (I2C NACK).</summary>
    Nack,
    /// <summary>The chip does not answer at all (SPI reads all 0xFF / I2C timeout).</summary>
    NoAnswer,
    /// <summary>A measured value stays at one fixed value whatever the pack does (target = cell or sensor index).</summary>
    StuckValue,
    /// <summary>Measurements stop updating: the chip keeps returning the last conversion.</summary>
    FrozenValue,
    /// <summary>A sense wire is open (target = wire index, 0 = bottom of the stack).</summary>
    OpenWire,
    /// <summary>A device of a daisy chain is missing (target = device index).</summary>
    DeviceMissing,
    /// <summary>The chip resets: registers back to power-on defaults, once, when injected.</summary>
    ChipReset,
}

/// <summary>What every chip emulator offers the harness and the tests.</summary>
public interface IChipEmulator
{
    /// <summary>The quantities the chip measures.</summary>
    EmulatedPack Pack { get; }

    /// <summary>Starts showing a fault. <paramref name="target"/> selects cell, wire, sensor or device where it applies.</summary>
    void Inject(EmulatorFault fault, int target = -1);

    /// <summary>Stops showing a fault.</summary>
    void Clear(EmulatorFault fault);

    /// <summary>Stops every fault.</summary>
    void ClearAll();
}
