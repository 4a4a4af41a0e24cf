using Bms.Drivers.Bq769x0;
using Bms.Drivers.Common;
using Bms.Emulators.Common;
using Bms.Hal;

namespace Bms.Emulators.Bq769x0;

/// <summary>What the emulated chip does with a write whose CRC is wrong.</summary>
public enum Bq769x0BadCrcResponse
{
    /// <summary>NACKs the transfer and writes nothing.</summary>
    Nack,
    /// <summary>Acknowledges but writes nothing (only a read-back can tell).</summary>
    IgnoreSilently,
}

/// <summary>How one emulated BQ769x0 is built and wired.</summary>
public sealed class Bq769x0EmulatorOptions
{
    public Bq769x0Variant Variant { get; init; } = Bq769x0Variant.Bq76940;
    public int Address { get; init; } = 0x08;
    public bool CrcEnabled { get; init; } = true;
    /// <summary>This chip's factory gain trim, 365..396 µV per LSB.</summary>
    public int Gain_uV { get; init; } = 380;
    /// <summary>This chip's factory offset trim, −128..127 mV.</summary>
    public int Offset_mV { get; init; } = 30;
    public int ShuntResistance_uOhm { get; init; } = 1000;
    /// <summary>Input (0..14) of each pack cell; null = the datasheet's recommended connection.</summary>
    public int[]? CellInputs { get; init; }
    public int RegulatorVoltage_mV { get; init; } = 3300;
    public int ThermistorPullUp_ohm { get; init; } = 10000;
    public int ThermistorNominal_ohm { get; init; } = 10000;
    public int ThermistorBeta_K { get; init; } = 3435;
    public Bq769x0BadCrcResponse BadCrcResponse { get; init; } = Bq769x0BadCrcResponse.Nack;
    /// <summary>Start in SHIP mode, as the silicon does after a power-on reset (only a TS1 pulse wakes it).</summary>
    public bool StartInShipMode { get; init; }
}

/// <summary>
/// Register-level emulator of a TI BQ76920/30/40 on I2C. It converts the <see cref="EmulatedPack"/> with its own
/// gain/offset trim exactly as the silicon's ADC would (so a driver's arithmetic is checked bit for bit), runs
/// the 250 ms voltage and coulomb-counter cycles on the harness's virtual clock, trips its OV/UV/OCD/SCD
/// protections with their delays, speaks the CRC protocol (checks incoming CRCs, appends CRCs to reads) and
/// shows the faults a real chip can have.
/// </summary>
public sealed class Bq769x0Emulator : II2cDevice, IChipEmulator
{
    private const int RegisterCount = 0x60;
    private const long Period_us = Bq769x0Registers.ConversionPeriod_ms * 1000L;
    // Die temperature sensor: 1.200 V at 25 °C, −4.2 mV/°C (used when TEMP_SEL = 0).
    private const int DieVoltageAt25C_uV = 1200000;
    private const int DieSlope_uVPerDegree = 4200;

    private readonly IMonotonicClock _clock;
    private readonly Bq769x0EmulatorOptions _options;
    private readonly int[] _cellInput;
    private readonly int _thermistorInputs;
    private readonly byte[] _reg = new byte[RegisterCount];
    private readonly HashSet<EmulatorFault> _faults = new();
    private readonly Dictionary<int, int> _stuckCodes = new(); // register address → code held
    private readonly bool[] _thermistorOpen = new bool[3];
    private readonly bool[] _thermistorShorted = new bool[3];

    private int _pointer;
    private bool _shipMode;
    private int _shutStep; // progress through the SHUT_A/SHUT_B sequence
    private long _lastSync_us;
    private long _nextAdc_us;
    private long _nextCc_us;
    private long _ccCharge_mAus;
    private long _ccWindowStart_us;
    private long _ovSince_us = -1;
    private long _uvSince_us = -1;
    private long _ocdSince_us = -1;
    private long _scdSince_us = -1;

    public Bq769x0Emulator(EmulatedPack pack, IMonotonicClock clock, Bq769x0EmulatorOptions? options = null)
    {
        Pack = pack ?? throw new ArgumentNullException(nameof(pack));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _options = options ?? new Bq769x0EmulatorOptions();
        if (_options.Gain_uV < 365 || _options.Gain_uV > 396) throw new ArgumentOutOfRangeException(nameof(options), "gain trim must be 365..396 µV");
        if (_options.Offset_mV < -128 || _options.Offset_mV > 127) throw new ArgumentOutOfRangeException(nameof(options), "offset trim must be -128..127 mV");
        _cellInput = _options.CellInputs ?? Bq769x0Conversions.DefaultCellInputs(_options.Variant, pack.CellCount);
        if (_cellInput.Length != pack.CellCount) throw new ArgumentException("one input per pack cell is needed", nameof(options));
        _thermistorInputs = (int)_options.Variant / 5;
        _lastSync_us = clock.Now_us;
        PowerOnDefaults();
        _shipMode = _options.StartInShipMode;
        BootPin = new BootLine(this);
    }

    /// <summary>The TS1 (BOOT) line as the MCU drives it: a rising edge wakes the chip from SHIP mode.</summary>
    public IDigitalOutput BootPin { get; }

    /// <summary>true while the chip sleeps in SHIP mode (answers nothing).</summary>
    public bool InShipMode => _shipMode;

    private sealed class BootLine(Bq769x0Emulator chip) : IDigitalOutput
    {
        public bool State { get; private set; }

        public void Write(bool energised)
        {
            if (energised && !State && chip._shipMode)
            {
                chip._shipMode = false;
                chip.PowerOnDefaults();
            }
            State = energised;
        }
    }

    public EmulatedPack Pack { get; }

    public int Address => _options.Address;

    public Bq769x0EmulatorOptions Options => _options;

    /// <summary>Bus transactions seen (including refused ones).</summary>
    public long Transactions { get; private set; }

    /// <summary>Bytes on the bus: address bytes, register bytes, data and CRC bytes.</summary>
    public long BusBytes { get; private set; }

    /// <summary>Writes refused for a wrong CRC.</summary>
    public int RejectedWrites { get; private set; }

    /// <summary>Times the host switched on balancing of two adjacent inputs of one group (the datasheet forbids it).</summary>
    public int AdjacentBalancingViolations { get; private set; }

    /// <summary>Completed coulomb-counter conversions.</summary>
    public int CcConversions { get; private set; }

    public bool ChargeFetOn => (_reg[Bq769x0Registers.SysCtrl2] & Bq769x0Registers.Ctrl2ChgOn) != 0;

    public bool DischargeFetOn => (_reg[Bq769x0Registers.SysCtrl2] & Bq769x0Registers.Ctrl2DsgOn) != 0;

    /// <summary>Inputs whose balancing switch is on (bit n = VC(n+1)).</summary>
    public int BalancingInputMask => _reg[Bq769x0Registers.CellBal1] | (_reg[Bq769x0Registers.CellBal2] << 5) | (_reg[Bq769x0Registers.CellBal3] << 10);

    /// <summary>Register content without a bus transaction (after bringing the chip up to the present time).</summary>
    public byte Peek(int register)
    {
        Sync();
        return _reg[register];
    }

    /// <summary>Sets a register directly, e.g. a status flag no pack condition produces (OVRD_ALERT).</summary>
    public void Poke(int register, byte value) => _reg[register] = value;

    /// <summary>Input (0..14) of pack cell <paramref name="cell"/>.</summary>
    public int CellInput(int cell) => _cellInput[cell];

    public void OpenThermistor(int index, bool open = true) => _thermistorOpen[index] = open;

    public void ShortThermistor(int index, bool shorted = true) => _thermistorShorted[index] = shorted;

    public void Inject(EmulatorFault fault, int target = -1)
    {
        switch (fault)
        {
            case EmulatorFault.ChipReset:
                PowerOnDefaults();
                _reg[Bq769x0Registers.SysStat] |= Bq769x0Registers.StatDeviceXReady;
                return;
            case EmulatorFault.StuckValue:
                Sync();
                int register = StuckRegister(target);
                _stuckCodes[register] = ReadCode(register);
                break;
            case EmulatorFault.OpenWire:
            case EmulatorFault.DeviceMissing:
                throw new NotSupportedException($"the BQ769x0 emulator has no {fault} fault (single chip, no open-wire test)");
        }
        _faults.Add(fault);
    }

    public void Clear(EmulatorFault fault)
    {
        _faults.Remove(fault);
        if (fault == EmulatorFault.StuckValue) _stuckCodes.Clear();
    }

    public void ClearAll()
    {
        _faults.Clear();
        _stuckCodes.Clear();
        Array.Clear(_thermistorOpen);
        Array.Clear(_thermistorShorted);
    }

    public BusStatus Write(byte[] buffer, int offset, int count)
    {
        Transactions++;
        BusBytes += 1 + count;
        BusStatus refused = Refusal();
        if (refused != BusStatus.Ok) return refused;
        Sync();
        if (count < 1) return BusStatus.Ok;
        int register = buffer[offset];
        _pointer = register;
        int dataBytes = count - 1;
        if (dataBytes == 0) return BusStatus.Ok;

        int step = _options.CrcEnabled ? 2 : 1;
        if (_options.CrcEnabled)
        {
            bool valid = dataBytes % 2 == 0;
            for (int i = 0; valid && i < dataBytes / 2; i++)
            {
                byte data = buffer[offset + 1 + 2 * i];
                byte expected = i == 0
                    ? ChipChecksums.Crc8(0, (byte)(Address << 1), (byte)register, data)
                    : ChipChecksums.Crc8(0, data);
                valid = expected == buffer[offset + 2 + 2 * i];
            }
            if (!valid)
            {
                RejectedWrites++;
                return _options.BadCrcResponse == Bq769x0BadCrcResponse.Nack ? BusStatus.DataNack : BusStatus.Ok;
            }
        }
        for (int i = 0; i < dataBytes / step; i++)
        {
            WriteRegister(register + i, buffer[offset + 1 + step * i]);
        }
        return BusStatus.Ok;
    }

    public BusStatus Read(byte[] buffer, int offset, int count)
    {
        Transactions++;
        BusBytes += 1 + count;
        BusStatus refused = Refusal();
        if (refused != BusStatus.Ok) return refused;
        Sync();
        FillRead(buffer, offset, count);
        return BusStatus.Ok;
    }

    public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
    {
        Transactions++;
        BusBytes += 1 + writeCount + 1 + readCount;
        BusStatus refused = Refusal();
        if (refused != BusStatus.Ok) return refused;
        Sync();
        if (writeCount != 1) return BusStatus.DataNack; // a register read sends the pointer alone
        _pointer = writeBuffer[writeOffset];
        FillRead(readBuffer, readOffset, readCount);
        return BusStatus.Ok;
    }

    private BusStatus Refusal()
    {
        if (_shipMode) return BusStatus.AddressNack;
        if (_faults.Contains(EmulatorFault.NoAnswer)) return BusStatus.Timeout;
        if (_faults.Contains(EmulatorFault.Nack)) return BusStatus.AddressNack;
        return BusStatus.Ok;
    }

    // Data with auto-increment; in CRC mode each byte is followed by its CRC, the first one also covering address+R.
    private void FillRead(byte[] buffer, int offset, int count)
    {
        bool corrupt = _faults.Contains(EmulatorFault.CorruptCrc);
        int register = _pointer;
        for (int i = 0; i < count;)
        {
            byte data = register < RegisterCount ? _reg[register] : (byte)0;
            buffer[offset + i++] = data;
            if (_options.CrcEnabled && i < count)
            {
                byte crc = i == 1 ? ChipChecksums.Crc8(0, (byte)((Address << 1) | 1), data) : ChipChecksums.Crc8(0, data);
                buffer[offset + i++] = corrupt ? (byte)(crc ^ 0x5A) : crc;
            }
            register++;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case Bq769x0Registers.SysStat:
                _reg[register] &= (byte)~value; // write 1 to clear
                break;
            case Bq769x0Registers.CellBal1:
            case Bq769x0Registers.CellBal2:
            case Bq769x0Registers.CellBal3:
                _reg[register] = (byte)(value & 0x1F);
                if ((value & (value >> 1) & 0x0F) != 0) AdjacentBalancingViolations++;
                break;
            case Bq769x0Registers.SysCtrl1:
                // SHIP mode: SHUT_A/SHUT_B written [0,0] (or already so), then [0,1], then [1,0] in consecutive writes.
                int shut = value & 0x03;
                _shutStep = shut == 0x01 && _shutStep == 1 ? 2 : shut == 0x02 && _shutStep == 2 ? 3 : shut == 0 ? 1 : 0;
                if (_shutStep == 3)
                {
                    PowerOnDefaults();
                    _shipMode = true;
                    _shutStep = 0;
                    return;
                }
                bool adcWasOn = (_reg[register] & Bq769x0Registers.Ctrl1AdcEn) != 0;
                _reg[register] = (byte)((_reg[register] & Bq769x0Registers.Ctrl1LoadPresent) | (value & 0x1B));
                if (!adcWasOn && (value & Bq769x0Registers.Ctrl1AdcEn) != 0) _nextAdc_us = _clock.Now_us + Period_us;
                break;
            case Bq769x0Registers.SysCtrl2:
                bool ccWasOn = (_reg[register] & Bq769x0Registers.Ctrl2CcEn) != 0;
                int stat = _reg[Bq769x0Registers.SysStat];
                if ((stat & Bq769x0Registers.StatOv) != 0) value &= unchecked((byte)~Bq769x0Registers.Ctrl2ChgOn);
                if ((stat & (Bq769x0Registers.StatUv | Bq769x0Registers.StatOcd | Bq769x0Registers.StatScd)) != 0)
                    value &= unchecked((byte)~Bq769x0Registers.Ctrl2DsgOn);
                _reg[register] = (byte)(value & 0xE3);
                if (!ccWasOn && (value & Bq769x0Registers.Ctrl2CcEn) != 0)
                {
                    _nextCc_us = _clock.Now_us + Period_us;
                    _ccWindowStart_us = _clock.Now_us;
                    _ccCharge_mAus = 0;
                }
                break;
            case >= Bq769x0Registers.Protect1 and <= Bq769x0Registers.CcCfg:
                _reg[register] = value;
                break;
            default:
                break; // measurement and trim registers are read-only
        }
    }

    private void PowerOnDefaults()
    {
        Array.Clear(_reg);
        int gainCode = _options.Gain_uV - 365;
        // Reserved bits carry junk so a driver that forgets to mask them is caught.
        _reg[Bq769x0Registers.AdcGain1] = (byte)(0x21 | (((gainCode >> 3) & 0x03) << 2));
        _reg[Bq769x0Registers.AdcGain2] = (byte)(0x1A | ((gainCode & 0x07) << 5));
        _reg[Bq769x0Registers.AdcOffset] = unchecked((byte)(sbyte)_options.Offset_mV);
        _ovSince_us = _uvSince_us = _ocdSince_us = _scdSince_us = -1;
        _ccCharge_mAus = 0;
        _shutStep = 0;
        _lastSync_us = _clock.Now_us;
    }

    // Brings conversions, the coulomb counter and protections up to the present time.
    private void Sync()
    {
        long now = _clock.Now_us;
        if (now < _lastSync_us) now = _lastSync_us;
        bool frozen = _faults.Contains(EmulatorFault.FrozenValue);

        if ((_reg[Bq769x0Registers.SysCtrl2] & Bq769x0Registers.Ctrl2CcEn) != 0)
        {
            // The pack current is taken as constant since the last bus access (the harness sets it per step).
            long t = Math.Max(_lastSync_us, _ccWindowStart_us);
            while (_nextCc_us <= now)
            {
                _ccCharge_mAus += (long)Pack.Current_mA * (_nextCc_us - t);
                if (!frozen) FinishCcConversion();
                _ccCharge_mAus = 0;
                t = _ccWindowStart_us = _nextCc_us;
                _nextCc_us += Period_us;
            }
            _ccCharge_mAus += (long)Pack.Current_mA * (now - t);
        }

        if ((_reg[Bq769x0Registers.SysCtrl1] & Bq769x0Registers.Ctrl1AdcEn) != 0)
        {
            while (_nextAdc_us <= now)
            {
                if (!frozen) Convert();
                CheckVoltageProtection(_nextAdc_us);
                _nextAdc_us += Period_us;
            }
        }

        CheckCurrentProtection(now);
        _lastSync_us = now;
    }

    private void FinishCcConversion()
    {
        long average_mA_x_window = _ccCharge_mAus; // mA·µs over one 250 ms window
        // sense voltage in nV = I[mA] · R[µΩ]; code = V / 8.44 µV, rounded
        long numerator = average_mA_x_window * _options.ShuntResistance_uOhm;
        long denominator = Period_us * Bq769x0Registers.CcLsb_nV;
        long code = (long)Math.Round((double)numerator / denominator, MidpointRounding.AwayFromZero);
        code = Math.Clamp(code, short.MinValue, short.MaxValue);
        SetPair(Bq769x0Registers.CcHi, (int)(ushort)(short)code);
        _reg[Bq769x0Registers.SysStat] |= Bq769x0Registers.StatCcReady;
        CcConversions++;
    }

    private void Convert()
    {
        int gain = _options.Gain_uV;
        long offset_uV = _options.Offset_mV * 1000L;
        long stack_uV = 0;
        for (int input = 0; input < (int)_options.Variant; input++)
        {
            int cell = Array.IndexOf(_cellInput, input);
            long v_uV = cell >= 0 ? Pack.CellVoltage_mV[cell] * 1000L : 0; // unused inputs are shorted
            stack_uV += v_uV;
            int code = (int)Math.Clamp((long)Math.Round((double)(v_uV - offset_uV) / gain, MidpointRounding.AwayFromZero), 0, Bq769x0Registers.AdcMaxCode);
            SetCode(Bq769x0Registers.Vc1Hi + 2 * input, code);
        }
        long bat = (long)Math.Round((double)(stack_uV - Pack.CellCount * offset_uV) / (4.0 * gain), MidpointRounding.AwayFromZero);
        SetCode(Bq769x0Registers.BatHi, (int)Math.Clamp(bat, 0, 0xFFFF));

        bool external = (_reg[Bq769x0Registers.SysCtrl1] & Bq769x0Registers.Ctrl1TempSel) != 0;
        for (int k = 0; k < _thermistorInputs; k++)
        {
            double v_uV;
            if (!external)
            {
                v_uV = DieVoltageAt25C_uV; // die at 25 °C
            }
            else if (_thermistorShorted[k])
            {
                v_uV = 0;
            }
            else if (_thermistorOpen[k] || k >= Pack.TemperatureCount)
            {
                v_uV = _options.RegulatorVoltage_mV * 1000.0; // nothing pulls the pin down
            }
            else
            {
                double r = ThermistorResistance_ohm(Pack.Temperature_dC[k] / 10.0);
                v_uV = _options.RegulatorVoltage_mV * 1000.0 * r / (r + _options.ThermistorPullUp_ohm);
            }
            int code = (int)Math.Clamp(Math.Round(v_uV / Bq769x0Registers.TsLsb_uV, MidpointRounding.AwayFromZero), 0, Bq769x0Registers.AdcMaxCode);
            SetCode(Bq769x0Registers.Ts1Hi + 2 * k, code);
        }
    }

    /// <summary>Beta-model resistance of the emulated thermistor at <paramref name="celsius"/>.</summary>
    public double ThermistorResistance_ohm(double celsius)
    {
        const double t0 = 298.15;
        return _options.ThermistorNominal_ohm * Math.Exp(_options.ThermistorBeta_K * (1.0 / (celsius + 273.15) - 1.0 / t0));
    }

    private void CheckVoltageProtection(long at_us)
    {
        int protect3 = _reg[Bq769x0Registers.Protect3];
        int ovCode = Bq769x0Conversions.OverVoltageTripCode(_reg[Bq769x0Registers.OvTrip]);
        int uvCode = Bq769x0Conversions.UnderVoltageTripCode(_reg[Bq769x0Registers.UvTrip]);
        bool over = false, under = false;
        foreach (int input in _cellInput)
        {
            int code = ReadCode(Bq769x0Registers.Vc1Hi + 2 * input);
            over |= code > ovCode;
            under |= code < uvCode;
        }
        bool noDelay = (_reg[Bq769x0Registers.SysCtrl2] & Bq769x0Registers.Ctrl2DelayDis) != 0;
        long ovDelay = noDelay ? 0 : Bq769x0Registers.OvDelay_s[(protect3 >> 4) & 3] * 1_000_000L;
        long uvDelay = noDelay ? 0 : Bq769x0Registers.UvDelay_s[(protect3 >> 6) & 3] * 1_000_000L;
        if (Track(over, ref _ovSince_us, at_us, ovDelay)) Trip(Bq769x0Registers.StatOv, Bq769x0Registers.Ctrl2ChgOn);
        if (Track(under, ref _uvSince_us, at_us, uvDelay)) Trip(Bq769x0Registers.StatUv, Bq769x0Registers.Ctrl2DsgOn);
    }

    private void CheckCurrentProtection(long now_us)
    {
        int protect1 = _reg[Bq769x0Registers.Protect1];
        int protect2 = _reg[Bq769x0Registers.Protect2];
        bool high = (protect1 & Bq769x0Registers.Protect1Rsns) != 0;
        int scd_mV = (high ? Bq769x0Registers.ScdThresholdHigh_mV : Bq769x0Registers.ScdThresholdLow_mV)[protect1 & 7];
        int ocd_mV = (high ? Bq769x0Registers.OcdThresholdHigh_mV : Bq769x0Registers.OcdThresholdLow_mV)[protect2 & 15];
        long scdDelay = Bq769x0Registers.ScdDelay_us[(protect1 >> 3) & 3];
        long ocdDelay = Bq769x0Registers.OcdDelay_ms[(protect2 >> 4) & 7] * 1000L;
        // Discharge current through the shunt (the FET must be on for it to flow).
        long sense_uV = DischargeFetOn && Pack.Current_mA < 0 ? -(long)Pack.Current_mA * _options.ShuntResistance_uOhm / 1000 : 0;
        if (Track(sense_uV >= scd_mV * 1000L, ref _scdSince_us, now_us, scdDelay)) Trip(Bq769x0Registers.StatScd, Bq769x0Registers.Ctrl2DsgOn);
        if (Track(sense_uV >= ocd_mV * 1000L, ref _ocdSince_us, now_us, ocdDelay)) Trip(Bq769x0Registers.StatOcd, Bq769x0Registers.Ctrl2DsgOn);
    }

    private static bool Track(bool condition, ref long since_us, long now_us, long delay_us)
    {
        if (!condition)
        {
            since_us = -1;
            return false;
        }
        if (since_us < 0) since_us = now_us;
        return now_us - since_us >= delay_us;
    }

    private void Trip(byte statusBit, byte fetBit)
    {
        _reg[Bq769x0Registers.SysStat] |= statusBit;
        _reg[Bq769x0Registers.SysCtrl2] &= (byte)~fetBit;
    }

    private int StuckRegister(int target)
    {
        if (target >= 0 && target < Pack.CellCount) return Bq769x0Registers.Vc1Hi + 2 * _cellInput[target];
        int thermistor = target - Pack.CellCount;
        if (thermistor >= 0 && thermistor < _thermistorInputs) return Bq769x0Registers.Ts1Hi + 2 * thermistor;
        throw new ArgumentOutOfRangeException(nameof(target), "StuckValue target: a cell index, or cell count + thermistor index");
    }

    private void SetCode(int register, int code)
    {
        if (_stuckCodes.TryGetValue(register, out int stuck)) code = stuck;
        SetPair(register, code);
    }

    private void SetPair(int register, int value)
    {
        _reg[register] = (byte)(value >> 8);
        _reg[register + 1] = (byte)value;
    }

    private int ReadCode(int register) => (_reg[register] << 8) | _reg[register + 1];
}
