using Bms.Drivers.CellMonitoring;
using Bms.Hal;

namespace Bms.Emulators.Common;

// Small host-side stand-ins for the hal interfaces, shared by tests, the replay harness and the benchmark.
// Time comes from VirtualClock (IMonotonicClock + IDelay). None of these allocate in their hot methods.

/// <summary>A digital output that remembers what was written and how often it changed.</summary>
public sealed class RecordingOutput : IDigitalOutput
{
    public RecordingOutput(string name = "") => Name = name;

    public string Name { get; }
    public bool State { get; private set; }

    /// <summary>Number of Write calls that changed the state.</summary>
    public int Transitions { get; private set; }

    /// <summary>Number of Write calls.</summary>
    public int Writes { get; private set; }

    public void Write(bool energised)
    {
        Writes++;
        if (energised != State) Transitions++;
        State = energised;
    }
}

/// <summary>A digital input whose level the test sets, or which follows an output (an auxiliary contact).</summary>
public sealed class FakeInput : IDigitalInput
{
    private readonly IDigitalOutput? _follows;

    /// <summary>Creates an input with a fixed level, or one that mirrors <paramref name="follows"/> (a healthy contactor's aux contact).</summary>
    public FakeInput(IDigitalOutput? follows = null) => _follows = follows;

    /// <summary>Level returned when not following an output, or when <see cref="Override"/> is set.</summary>
    public bool Level { get; set; }

    /// <summary>When set, the input reads <see cref="Level"/> whatever it follows (stuck or welded contact).</summary>
    public bool Override { get; set; }

    public int Reads { get; private set; }

    public bool Read()
    {
        Reads++;
        if (_follows != null && !Override) return _follows.State;
        return Level;
    }
}

/// <summary>A watchdog that counts kicks and when the last one happened.</summary>
public sealed class CountingWatchdog : IWatchdog
{
    private readonly IMonotonicClock? _clock;

    public CountingWatchdog(IMonotonicClock? clock = null) => _clock = clock;

    public long Kicks { get; private set; }
    public long LastKick_ms { get; private set; } = -1;

    public void Kick()
    {
        Kicks++;
        if (_clock != null) LastKick_ms = _clock.Now_ms;
    }
}

/// <summary>A log sink that keeps lines in memory (or drops them when <see cref="Keep"/> is false).</summary>
public sealed class MemoryLogSink : ILogSink
{
    public List<string> Lines { get; } = new();
    public bool Keep { get; set; } = true;
    public long BytesWritten { get; private set; }

    public void WriteLine(string text)
    {
        if (Keep) Lines.Add(text);
    }

    public void Write(byte[] buffer, int offset, int count) => BytesWritten += count;
}

/// <summary>
/// Byte-addressable RAM standing in for FRAM/EEPROM, with power-cut injection: after
/// <see cref="CutAfterBytes"/> more bytes have been written, the write in progress stops part way (a torn
/// write, the prefix stays) and returns false, as does every later write until <see cref="Restore"/>.
/// </summary>
public sealed class RamStorage : INonVolatileStorage
{
    private readonly byte[] _memory;
    private long _bytesUntilCut = -1;

    public RamStorage(int size, byte erased = 0xFF)
    {
        _memory = new byte[size];
        Array.Fill(_memory, erased);
    }

    public int Size => _memory.Length;

    /// <summary>The raw memory (tests inspect and corrupt it).</summary>
    public byte[] Memory => _memory;

    public long Writes { get; private set; }
    public long BytesWritten { get; private set; }
    public bool PoweredOff { get; private set; }

    /// <summary>Makes reads fail (unreadable memory) while true.</summary>
    public bool FailReads { get; set; }

    /// <summary>Arms a power cut after this many more bytes are written (0 = the next write writes nothing).</summary>
    public void CutAfterBytes(long bytes) => _bytesUntilCut = bytes;

    /// <summary>Power back: writes work again.</summary>
    public void Restore()
    {
        PoweredOff = false;
        _bytesUntilCut = -1;
    }

    public bool Read(int address, byte[] buffer, int offset, int count)
    {
        if (FailReads || address < 0 || count < 0 || address + count > _memory.Length) return false;
        Buffer.BlockCopy(_memory, address, buffer, offset, count);
        return true;
    }

    public bool Write(int address, byte[] buffer, int offset, int count)
    {
        if (address < 0 || count < 0 || address + count > _memory.Length) return false;
        if (PoweredOff) return false;
        Writes++;
        for (int i = 0; i < count; i++)
        {
            if (_bytesUntilCut == 0)
            {
                PoweredOff = true;
                return false;
            }
            _memory[address + i] = buffer[offset + i];
            BytesWritten++;
            if (_bytesUntilCut > 0) _bytesUntilCut--;
        }
        return true;
    }
}

/// <summary>
/// A cell monitor without a bus: the test sets the values it reports. Marks cells and temperatures invalid on
/// request, fails scans, records balancing commands and can drop adjacent cells like a BQ769x0.
/// </summary>
public sealed class FakeCellMonitor : ICellMonitor
{
    public FakeCellMonitor(int cellCount, int temperatureCount, bool hasCurrentSense = true)
    {
        CellVoltage_mV = new int[cellCount];
        CellValid = new bool[cellCount];
        Temperature_dC = new int[temperatureCount];
        TemperatureValid = new bool[temperatureCount];
        Balancing = new bool[cellCount];
        OpenWires = new bool[cellCount + 1];
        for (int i = 0; i < cellCount; i++) { CellVoltage_mV[i] = 3700; CellValid[i] = true; }
        for (int i = 0; i < temperatureCount; i++) { Temperature_dC[i] = 250; TemperatureValid[i] = true; }
        HasCurrentSense = hasCurrentSense;
        CurrentValid = true;
    }

    public int CellCount => CellVoltage_mV.Length;
    public int TemperatureCount => Temperature_dC.Length;
    public bool HasCurrentSense { get; }
    public bool HasFetControl => false;
    public CellMonitorStatistics Statistics { get; } = new();

    public int[] CellVoltage_mV { get; }
    public bool[] CellValid { get; }
    public int[] Temperature_dC { get; }
    public bool[] TemperatureValid { get; }
    public int Current_mA { get; set; }
    public bool CurrentValid { get; set; }
    public int Faults { get; set; }

    /// <summary>When true every transfer "fails": all values come back invalid.</summary>
    public bool CommunicationLost { get; set; }
    /// <summary>Drop cells adjacent to a lower balancing cell, as the BQ769x0 requires.</summary>
    public bool NoAdjacentBalancing { get; set; }
    /// <summary>Refuse balancing commands.</summary>
    public bool RejectBalancing { get; set; }
    /// <summary>Open wires reported by CheckOpenWires; null = test unsupported.</summary>
    public bool[]? OpenWires { get; set; }

    public bool[] Balancing { get; }
    public int Initializations { get; private set; }
    public int Measurements { get; private set; }
    public int BalancingCommands { get; private set; }

    public bool Initialize()
    {
        Initializations++;
        return !CommunicationLost;
    }

    public bool Measure(CellMonitorReadings readings)
    {
        Measurements++;
        readings.InvalidateAll();
        readings.Faults = Faults;
        if (CommunicationLost)
        {
            readings.Faults |= CellMonitorFaults.CommunicationError;
            return false;
        }
        bool all = true;
        for (int i = 0; i < CellCount; i++)
        {
            readings.CellVoltage_mV[i] = CellVoltage_mV[i];
            readings.CellValid[i] = CellValid[i];
            all &= CellValid[i];
        }
        for (int i = 0; i < TemperatureCount; i++)
        {
            readings.Temperature_dC[i] = Temperature_dC[i];
            readings.TemperatureValid[i] = TemperatureValid[i];
            all &= TemperatureValid[i];
        }
        if (HasCurrentSense)
        {
            readings.Current_mA = Current_mA;
            readings.CurrentValid = CurrentValid;
        }
        return all;
    }

    public bool ReadCurrent(CellMonitorReadings readings)
    {
        if (!HasCurrentSense || CommunicationLost || !CurrentValid)
        {
            readings.CurrentValid = false;
            return false;
        }
        readings.Current_mA = Current_mA;
        readings.CurrentValid = true;
        return true;
    }

    public bool SetBalancing(bool[] cellsToDischarge)
    {
        BalancingCommands++;
        if (RejectBalancing || CommunicationLost) return false;
        if (NoAdjacentBalancing)
        {
            for (int i = 1; i < cellsToDischarge.Length; i++)
            {
                if (cellsToDischarge[i] && cellsToDischarge[i - 1]) cellsToDischarge[i] = false;
            }
        }
        Array.Copy(cellsToDischarge, Balancing, Balancing.Length);
        return true;
    }

    public bool SetProtectionFets(bool chargeOn, bool dischargeOn) => false;

    public bool CheckOpenWires(bool[] openWire)
    {
        if (OpenWires == null || CommunicationLost) return false;
        Array.Copy(OpenWires, openWire, openWire.Length);
        return true;
    }
}

/// <summary>A pack current sensor whose reading the test sets.</summary>
public sealed class FakeCurrentSensor : Bms.Firmware.Composition.IPackCurrentSensor
{
    public int Current_mA { get; set; }
    public bool Valid { get; set; } = true;

    public bool TryRead(out int current_mA)
    {
        current_mA = Current_mA;
        return Valid;
    }
}

/// <summary>
/// A link-voltage sensor. Either fixed (<see cref="Link_mV"/>) or a simple precharge model: while
/// <see cref="ChargingFrom"/> is energised the link approaches <see cref="Pack_mV"/> with time constant
/// <see cref="TimeConstant_ms"/>; otherwise it decays with <see cref="DecayTimeConstant_ms"/> (bleeder).
/// </summary>
public sealed class FakeLinkVoltageSensor : Bms.Firmware.Composition.ILinkVoltageSensor
{
    private readonly IMonotonicClock? _clock;
    private long _last_ms;

    public FakeLinkVoltageSensor(IMonotonicClock? clock = null)
    {
        _clock = clock;
        _last_ms = clock?.Now_ms ?? 0;
    }

    public int Link_mV { get; set; }
    public bool Valid { get; set; } = true;
    public int Pack_mV { get; set; }
    public Func<bool>? ChargingFrom { get; set; }
    public int TimeConstant_ms { get; set; } = 100;
    public int DecayTimeConstant_ms { get; set; } = 1000;

    public bool TryRead(out int link_mV)
    {
        if (_clock != null && ChargingFrom != null)
        {
            long now = _clock.Now_ms;
            long dt = now - _last_ms;
            _last_ms = now;
            if (dt > 0)
            {
                bool charging = ChargingFrom();
                int target = charging ? Pack_mV : 0;
                int tau = charging ? TimeConstant_ms : DecayTimeConstant_ms;
                long step = (long)(target - Link_mV) * dt / (tau + dt);
                Link_mV += (int)step;
            }
        }
        link_mV = Link_mV;
        return Valid;
    }
}
