using Bms.Drivers.Bq76952;
using Bms.Drivers.Common;
using Bms.Emulators.Common;
using Bms.Hal;

namespace Bms.Emulators.Bq76952;

/// <summary>
/// Register-level model of a TI BQ76952 as seen from its I2C pins: the direct-command register space, the
/// 0x3E/0x3F subcommand handshake with its transfer buffer, checksum and length, data memory with power-on
/// defaults and CONFIG_UPDATE mode, FET and balancing state, the chip's I2C CRC mode, and its own protections
/// evaluated against <see cref="EmulatedPack"/>. Measurements come from the pack at each conversion.
/// COV/CUV have their programmed delays (with a clock) and recovery hysteresis. Simplifications (documented, not
/// hidden): the other protections have no delay or hysteresis (status at the next loop, cleared when gone), OTC/UTC and
/// OTD/UTD are evaluated regardless of charge or discharge mode, and only the subcommands the driver family
/// uses are implemented (others echo and answer no data).
/// </summary>
public sealed class Bq76952Emulator : II2cDevice, IChipEmulator
{
    private const int DmFirst = Bq76952Registers.DataMemoryFirst;
    private const int DmLast = Bq76952Registers.DataMemoryLast;
    private static readonly int[] ScdSteps_mV = { 10, 20, 40, 60, 80, 100, 125, 150, 175, 200, 250, 300, 350, 400, 450, 500 };
    private const double DefaultCcGain = 7.4768;

    private readonly IMonotonicClock? _clock;
    private readonly byte[] _dm = new byte[DmLast - DmFirst + 1 + 32];
    private readonly byte[] _transfer = new byte[0x62 - 0x40]; // 0x40..0x61
    private readonly int[] _cellRaw = new int[16];
    private readonly byte[] _writeData = new byte[256];
    private readonly int[] _tsRaw = new int[3];
    private readonly Dictionary<int, int> _stuckCells = new();
    private readonly Dictionary<EmulatorFault, int> _transientFaults = new(); // remaining transactions, -1 = until cleared

    private int _pointer;
    private byte _command3E, _command3F;
    private int _busyReads;
    private int _stackRaw, _packRaw, _ldRaw, _cc2Raw, _internalRaw;
    private int _safetyA, _safetyB, _safetyC, _alertA;
    private long _covSince_us = long.MinValue, _cuvSince_us = long.MinValue;
    private const int CovRecoveryHysteresis = 0x927C, CuvRecoveryHysteresis = 0x927B;
    private int _alarmStatus, _alarmRaw, _alarmEnable;
    private bool _por;
    private bool _hostChgOff, _hostDsgOff;
    private bool _frozen;
    private long _loopStart_us = long.MinValue;
    private long _loopCount;

    /// <param name="pack">Physical quantities the chip measures.</param>
    /// <param name="crcMode">The chip variant answers and expects I2C CRC-8.</param>
    /// <param name="cellInputMask">Physical wiring: which cell inputs carry the pack's cells, bottom first (default: TI's rule, bottom inputs plus VC16).</param>
    /// <param name="address">7-bit I2C address.</param>
    /// <param name="clock">With a clock, measurement loops complete every <see cref="LoopPeriod_us"/> (FULLSCAN every third); without, a full scan completes before every transaction.</param>
    public Bq76952Emulator(EmulatedPack pack, bool crcMode = false, int cellInputMask = -1, int address = Drivers.Bq76952.Bq76952.DefaultI2cAddress, IMonotonicClock? clock = null)
    {
        Pack = pack;
        CrcMode = crcMode;
        Address = address;
        _clock = clock;
        CellInputMask = cellInputMask >= 0 ? cellInputMask : Bq76952Configuration.DefaultCellInputMask(pack.CellCount);
        if (System.Numerics.BitOperations.PopCount((uint)CellInputMask) != pack.CellCount)
            throw new ArgumentException($"cellInputMask 0x{CellInputMask:X4} does not wire {pack.CellCount} cells");
        ResetToDefaults();
        ResetCount = 0;
    }

    public EmulatedPack Pack { get; }
    public int Address { get; }
    public bool CrcMode { get; }

    /// <summary>Physical wiring of cells to inputs.</summary>
    public int CellInputMask { get; }

    /// <summary>The real shunt on the board (the driver's configured value should match it).</summary>
    public int SenseResistor_uOhm { get; set; } = 1000;

    /// <summary>What DEVICE_NUMBER answers (0x7695 for a BQ76952; change it to model a different part).</summary>
    public int DeviceNumber { get; set; } = Bq76952Registers.DeviceNumberValue;

    /// <summary>Die temperature.</summary>
    public int InternalTemperature_dC { get; set; } = 250;

    /// <summary>Time of one ADC measurement slot when a clock is given (3 ms; 1.5 ms with FASTADC, not modelled).</summary>
    public int SlotTime_us { get; set; } = 3000;

    /// <summary>Echo reads answering 0xFF after each subcommand before it completes.</summary>
    public int SubcommandBusyReads { get; set; } = 1;

    // ---- what tests observe ----
    /// <summary>Bytes on the bus counted by the chip: address bytes, register/data bytes and CRCs.</summary>
    public long BusBytes { get; private set; }
    public long Transactions { get; private set; }
    /// <summary>Host writes refused for a wrong CRC (answered with a data NACK).</summary>
    public int CrcErrorsDetected { get; private set; }
    /// <summary>Subcommand writes ignored for a wrong checksum or length.</summary>
    public int RejectedChecksums { get; private set; }
    /// <summary>Data-memory writes ignored because the chip was not in CONFIG_UPDATE mode.</summary>
    public int RejectedDataMemoryWrites { get; private set; }
    public int ResetCount { get; private set; }
    public bool ConfigUpdateMode { get; private set; }
    public bool FetEnabled { get; private set; }
    public int BalancingMask { get; private set; }
    public bool ChargeFetOn => FetEnabled && !ConfigUpdateMode && !_hostChgOff && (_safetyA & 0x18) == 0 && (_safetyB & 0x51) == 0;
    public bool DischargeFetOn => FetEnabled && !ConfigUpdateMode && !_hostDsgOff && (_safetyA & 0xE4) == 0 && (_safetyB & 0x62) == 0;
    public int SafetyStatusA => _safetyA;
    public int SafetyAlertA => _alertA;
    public int SafetyStatusB => _safetyB;
    public int BatteryStatus => (ConfigUpdateMode ? Bq76952Registers.BatteryStatusCfgUpdate : 0)
        | (_por ? Bq76952Registers.BatteryStatusPor : 0)
        | ((_safetyA | _safetyB | _safetyC) != 0 ? Bq76952Registers.BatteryStatusSafetyFault : 0);
    /// <summary>Data-memory addresses whose writes the chip acknowledges but does not store (a failing test hook).</summary>
    public HashSet<int> SilentlyDroppedDataMemoryWrites { get; } = new();
    /// <summary>Every subcommand code executed, in order.</summary>
    public List<int> ExecutedSubcommands { get; } = new();
    /// <summary>When true every Write's bytes (including CRCs) are recorded in <see cref="WriteLog"/>.</summary>
    public bool LogWrites { get; set; }
    public List<byte[]> WriteLog { get; } = new();

    /// <summary>Little-endian value of <paramref name="length"/> data-memory bytes.</summary>
    public int DataMemory(int address, int length)
    {
        int value = 0;
        for (int i = 0; i < length; i++) value |= _dm[address - DmFirst + i] << (8 * i);
        return value;
    }

    // ------------------------------------------------------------------ faults

    /// <summary>
    /// CorruptCrc, Nack, NoAnswer: <paramref name="target"/> = number of transactions affected (-1 = until cleared).
    /// CorruptCrc spoils the first CRC of read answers in CRC mode; without CRC mode it spoils the subcommand checksum read at 0x60.
    /// StuckValue: cell <paramref name="target"/> (0 = cell 1) keeps its present voltage. FrozenValue: conversions stop.
    /// ChipReset: immediate power-on reset.
    /// </summary>
    public void Inject(EmulatorFault fault, int target = -1)
    {
        switch (fault)
        {
            case EmulatorFault.CorruptCrc:
            case EmulatorFault.Nack:
            case EmulatorFault.NoAnswer:
                _transientFaults[fault] = target;
                break;
            case EmulatorFault.StuckValue:
                if (target < 0 || target >= Pack.CellCount) throw new ArgumentOutOfRangeException(nameof(target), "StuckValue targets a cell index");
                _stuckCells[target] = Pack.CellVoltage_mV[target];
                break;
            case EmulatorFault.FrozenValue:
                _frozen = true;
                break;
            case EmulatorFault.ChipReset:
                ResetToDefaults();
                break;
            default:
                throw new NotSupportedException($"BQ76952 emulator does not model {fault}");
        }
    }

    public void Clear(EmulatorFault fault)
    {
        _transientFaults.Remove(fault);
        if (fault == EmulatorFault.StuckValue) _stuckCells.Clear();
        if (fault == EmulatorFault.FrozenValue) _frozen = false;
    }

    public void ClearAll()
    {
        _transientFaults.Clear();
        _stuckCells.Clear();
        _frozen = false;
    }

    private bool Active(EmulatorFault fault)
    {
        if (!_transientFaults.TryGetValue(fault, out int remaining)) return false;
        if (remaining == 0) { _transientFaults.Remove(fault); return false; }
        if (remaining > 0) _transientFaults[fault] = remaining - 1;
        return true;
    }

    // ------------------------------------------------------------------ reset and data memory

    private void ResetToDefaults()
    {
        Array.Clear(_dm);
        SetDm(Bq76952Registers.DmCcGain, 4, BitConverter.SingleToInt32Bits((float)DefaultCcGain));
        SetDm(Bq76952Registers.DmEnabledProtectionsA, 1, 0x88);
        SetDm(Bq76952Registers.DmDefaultAlarmMask, 2, 0xF800);
        SetDm(Bq76952Registers.DmCuvThreshold, 1, 50);
        SetDm(Bq76952Registers.DmCuvDelay, 2, 74);
        SetDm(Bq76952Registers.DmCovThreshold, 1, 86);
        SetDm(Bq76952Registers.DmCovDelay, 2, 74);
        SetDm(CovRecoveryHysteresis, 1, 2);
        SetDm(CuvRecoveryHysteresis, 1, 2);
        SetDm(Bq76952Registers.DmOccThreshold, 1, 2);
        SetDm(Bq76952Registers.DmOcd1Threshold, 1, 4);
        SetDm(Bq76952Registers.DmOtcThreshold, 1, 55);
        SetDm(Bq76952Registers.DmOtdThreshold, 1, 60);
        SetDm(0x92A3, 1, 85); // OTINT threshold
        SetDm(Bq76952Registers.DmTs1Config, 1, Bq76952Registers.TsConfigCellThermistor);
        SetDm(Bq76952Registers.DmDaConfiguration, 1, 0x05);
        SetDm(Bq76952Registers.DmCellBalanceMaxCells, 1, 1);
        SetDm(Bq76952Registers.DmCommType, 1, CrcMode ? 0x08 : 0x07);

        Array.Clear(_transfer);
        _command3E = _command3F = 0;
        _busyReads = 0;
        _pointer = 0;
        _safetyA = _safetyB = _safetyC = _alertA = 0;
        _covSince_us = _cuvSince_us = long.MinValue;
        _alarmStatus = _alarmRaw = 0;
        _alarmEnable = DataMemory(Bq76952Registers.DmDefaultAlarmMask, 2);
        _por = true;
        ConfigUpdateMode = false;
        FetEnabled = false;
        _hostChgOff = _hostDsgOff = false;
        BalancingMask = 0;
        _loopStart_us = long.MinValue;
        _loopCount = 0;
        ResetCount++;
    }

    private void SetDm(int address, int length, int value)
    {
        for (int i = 0; i < length; i++) _dm[address - DmFirst + i] = (byte)(value >> (8 * i));
    }

    // ------------------------------------------------------------------ conversions and protections

    private int EnabledThermistors
    {
        get
        {
            int count = 0;
            for (int ts = 0; ts < 3; ts++)
                if ((DataMemory(Bq76952Registers.DmTs1Config + ts, 1) & 0x03) == 0x03) count++;
            return count;
        }
    }

    /// <summary>
    /// One measurement loop: 16 cell slots, one of VC16/PACK/LD, one of die temperature/VREF/VSS, and one slot per
    /// enabled thermistor; three loops make a full scan (FULLSCAN). 63 ms per loop with three thermistors.
    /// </summary>
    public long LoopPeriod_us => (18 + EnabledThermistors) * (long)SlotTime_us;

    private void MaybeConvert()
    {
        if (_frozen || ConfigUpdateMode)
        {
            _loopStart_us = long.MinValue; // measurements restart from a fresh loop afterwards
            return;
        }
        if (_clock == null)
        {
            CompleteLoop(fullScan: true);
            return;
        }
        long now = _clock.Now_us;
        if (_loopStart_us == long.MinValue)
        {
            _loopStart_us = now;
            return;
        }
        long period = LoopPeriod_us;
        long loops = (now - _loopStart_us) / period;
        if (loops <= 0) return;
        _loopStart_us += loops * period;
        long before = _loopCount;
        _loopCount += loops;
        CompleteLoop(fullScan: _loopCount / 3 > before / 3);
    }

    private void CompleteLoop(bool fullScan)
    {
        int packCell = 0;
        for (int input = 0; input < 16; input++)
        {
            if ((CellInputMask & (1 << input)) == 0) { _cellRaw[input] = 0; continue; }
            int mv = _stuckCells.TryGetValue(packCell, out int stuck) ? stuck : Pack.CellVoltage_mV[packCell];
            _cellRaw[input] = Math.Clamp(mv, short.MinValue, short.MaxValue);
            packCell++;
        }
        int sum = 0;
        for (int input = 0; input < 16; input++) sum += _cellRaw[input];
        _stackRaw = (sum + 5) / 10;
        _ldRaw = (Pack.LinkVoltage_mV + 5) / 10;
        _packRaw = DischargeFetOn ? _stackRaw : _ldRaw;

        double ccGain = BitConverter.Int32BitsToSingle(DataMemory(Bq76952Registers.DmCcGain, 4));
        double lsb_mA = (DataMemory(Bq76952Registers.DmDaConfiguration, 1) & 0x03) switch { 0 => 0.1, 1 => 1, 2 => 10, _ => 100 };
        double senseMicrovolts = Pack.Current_mA * (SenseResistor_uOhm / 1000.0);
        double reported_mA = senseMicrovolts * ccGain / DefaultCcGain;
        _cc2Raw = (int)Math.Clamp(Math.Round(reported_mA / lsb_mA, MidpointRounding.AwayFromZero), short.MinValue, short.MaxValue);

        if (fullScan)
        {
            // Thermistors and the die temperature share rotating slots: a complete set needs three loops.
            for (int ts = 0; ts < 3; ts++)
            {
                bool thermistor = (DataMemory(Bq76952Registers.DmTs1Config + ts, 1) & 0x03) == 0x03;
                int dC = ts < Pack.TemperatureCount ? Pack.Temperature_dC[ts] : 250;
                _tsRaw[ts] = thermistor ? dC + Bq76952Protocol.ZeroCelsius_dK : 0;
            }
            _internalRaw = InternalTemperature_dC + Bq76952Protocol.ZeroCelsius_dK;
        }

        EvaluateProtections();
        _alarmRaw = Bq76952Registers.AlarmAdScan
            | (fullScan ? Bq76952Registers.AlarmFullScan : 0)
            | (_safetyA != 0 ? Bq76952Registers.AlarmSafetyStatusA : 0)
            | ((_safetyB | _safetyC) != 0 ? Bq76952Registers.AlarmSafetyStatusBC : 0);
        _alarmStatus |= _alarmRaw & _alarmEnable;
    }

    private void EvaluateProtections()
    {
        int protA = DataMemory(Bq76952Registers.DmEnabledProtectionsA, 1);
        int protB = DataMemory(Bq76952Registers.DmEnabledProtectionsB, 1);
        int a = 0, b = 0;
        int vcellMode = DataMemory(Bq76952Registers.DmVcellMode, 2);
        int used = vcellMode == 0 ? 0xFFFF : vcellMode;
        int cov_mV = DataMemory(Bq76952Registers.DmCovThreshold, 1) * 506 / 10;
        int cuv_mV = DataMemory(Bq76952Registers.DmCuvThreshold, 1) * 506 / 10;
        int maxCell = int.MinValue, minCell = int.MaxValue;
        for (int input = 0; input < 16; input++)
        {
            if ((used & (1 << input)) == 0) continue;
            maxCell = Math.Max(maxCell, _cellRaw[input]);
            minCell = Math.Min(minCell, _cellRaw[input]);
        }
        // COV and CUV: the alert shows at once, the status after the programmed delay ((value + 2) x 3.3 ms, with a
        // clock), and clears only past the recovery hysteresis.
        bool covCondition = (protA & 0x08) != 0 && maxCell >= cov_mV;
        bool cuvCondition = (protA & 0x04) != 0 && minCell <= cuv_mV;
        _alertA = (covCondition ? 0x08 : 0) | (cuvCondition ? 0x04 : 0);
        int covRecovery_mV = cov_mV - DataMemory(CovRecoveryHysteresis, 1) * 506 / 10;
        int cuvRecovery_mV = cuv_mV + DataMemory(CuvRecoveryHysteresis, 1) * 506 / 10;
        bool cov = DelayedStatus(covCondition, (_safetyA & 0x08) != 0, (protA & 0x08) != 0 && maxCell >= covRecovery_mV,
            ref _covSince_us, DataMemory(Bq76952Registers.DmCovDelay, 2));
        bool cuv = DelayedStatus(cuvCondition, (_safetyA & 0x04) != 0, (protA & 0x04) != 0 && minCell <= cuvRecovery_mV,
            ref _cuvSince_us, DataMemory(Bq76952Registers.DmCuvDelay, 2));
        a |= (cov ? 0x08 : 0) | (cuv ? 0x04 : 0);
        long sense_uV = (long)Pack.Current_mA * SenseResistor_uOhm / 1000;
        if ((protA & 0x10) != 0 && sense_uV >= DataMemory(Bq76952Registers.DmOccThreshold, 1) * 2000L) a |= 0x10;
        if ((protA & 0x20) != 0 && -sense_uV >= DataMemory(Bq76952Registers.DmOcd1Threshold, 1) * 2000L) a |= 0x20;
        int scdIndex = Math.Min(DataMemory(Bq76952Registers.DmScdThreshold, 1), ScdSteps_mV.Length - 1);
        if ((protA & 0x80) != 0 && -sense_uV >= ScdSteps_mV[scdIndex] * 1000L) a |= 0x80;

        int tMax = int.MinValue, tMin = int.MaxValue;
        for (int ts = 0; ts < 3; ts++)
        {
            if (_tsRaw[ts] == 0) continue;
            int dC = _tsRaw[ts] - Bq76952Protocol.ZeroCelsius_dK;
            tMax = Math.Max(tMax, dC);
            tMin = Math.Min(tMin, dC);
        }
        int Threshold_dC(int address) => (sbyte)DataMemory(address, 1) * 10;
        if (tMax != int.MinValue)
        {
            if ((protB & 0x10) != 0 && tMax >= Threshold_dC(Bq76952Registers.DmOtcThreshold)) b |= 0x10;
            if ((protB & 0x20) != 0 && tMax >= Threshold_dC(Bq76952Registers.DmOtdThreshold)) b |= 0x20;
            if ((protB & 0x01) != 0 && tMin <= Threshold_dC(Bq76952Registers.DmUtcThreshold)) b |= 0x01;
            if ((protB & 0x02) != 0 && tMin <= Threshold_dC(Bq76952Registers.DmUtdThreshold)) b |= 0x02;
        }
        if ((protB & 0x40) != 0 && InternalTemperature_dC >= Threshold_dC(0x92A3)) b |= 0x40;
        _safetyA = a;
        _safetyB = b;
        _safetyC = 0;
        _alertA |= a & ~0x0C;
    }

    private bool DelayedStatus(bool condition, bool wasSet, bool notYetRecovered, ref long since_us, int delaySetting)
    {
        if (!condition)
        {
            since_us = long.MinValue;
            return wasSet && notYetRecovered;
        }
        if (wasSet || _clock == null) return true;
        long now = _clock.Now_us;
        if (since_us == long.MinValue) since_us = now;
        return now - since_us >= (delaySetting + 2) * 3300L;
    }

    // ------------------------------------------------------------------ register space

    private byte ReadRegister(int register, bool echoBusy)
    {
        static byte Lo(int v) => (byte)v;
        static byte Hi(int v) => (byte)(v >> 8);
        register &= 0x7F;
        switch (register)
        {
            case 0x02: return (byte)_alertA;
            case 0x03: return (byte)_safetyA;
            case 0x04: case 0x05: return (byte)_safetyB;
            case 0x06: case 0x07: return (byte)_safetyC;
            case 0x12: return Lo(BatteryStatus);
            case 0x13: return Hi(BatteryStatus);
            case >= 0x14 and <= 0x33:
            {
                int value = _cellRaw[(register - 0x14) / 2];
                return (register & 1) == 0 ? Lo(value) : Hi(value);
            }
            case 0x34: return Lo(_stackRaw);
            case 0x35: return Hi(_stackRaw);
            case 0x36: return Lo(_packRaw);
            case 0x37: return Hi(_packRaw);
            case 0x38: return Lo(_ldRaw);
            case 0x39: return Hi(_ldRaw);
            case 0x3A: return Lo(_cc2Raw);
            case 0x3B: return Hi(_cc2Raw);
            case 0x3E: return echoBusy ? (byte)0xFF : _command3E;
            case 0x3F: return echoBusy ? (byte)0xFF : _command3F;
            case >= 0x40 and <= 0x61:
            {
                byte value = _transfer[register - 0x40];
                if (register == 0x60 && !CrcMode && Active(EmulatorFault.CorruptCrc)) value ^= 0x5A;
                return value;
            }
            case 0x62: return Lo(_alarmStatus);
            case 0x63: return Hi(_alarmStatus);
            case 0x64: return Lo(_alarmRaw);
            case 0x65: return Hi(_alarmRaw);
            case 0x66: return Lo(_alarmEnable);
            case 0x67: return Hi(_alarmEnable);
            case 0x68: return Lo(_internalRaw);
            case 0x69: return Hi(_internalRaw);
            case >= 0x70 and <= 0x75:
            {
                int value = _tsRaw[(register - 0x70) / 2];
                return (register & 1) == 0 ? Lo(value) : Hi(value);
            }
            case 0x7F: return (byte)((ChargeFetOn ? Bq76952Registers.FetStatusChg : 0) | (DischargeFetOn ? Bq76952Registers.FetStatusDsg : 0));
            default: return 0;
        }
    }

    private void WriteRegister(int register, byte value)
    {
        register &= 0x7F;
        switch (register)
        {
            case 0x3E:
                _command3E = value;
                break;
            case 0x3F:
                _command3F = value;
                ExecuteCommand(_command3E | (value << 8));
                break;
            case >= 0x40 and <= 0x60:
                _transfer[register - 0x40] = value;
                break;
            case 0x61:
                _transfer[register - 0x40] = value;
                ExecuteWrite();
                break;
            case 0x62: _alarmStatus &= ~value; break;
            case 0x63: _alarmStatus &= ~(value << 8); break;
            case 0x66: _alarmEnable = (_alarmEnable & 0xFF00) | value; break;
            case 0x67: _alarmEnable = (_alarmEnable & 0x00FF) | (value << 8); break;
        }
    }

    private void ExecuteCommand(int code)
    {
        ExecutedSubcommands.Add(code);
        _busyReads = SubcommandBusyReads;
        Array.Clear(_transfer);
        // The response goes straight into the transfer buffer (no allocation: the host tick is checked for that).
        int length = 0;
        void Put(int value) => _transfer[length++] = (byte)value;
        switch (code)
        {
            case Bq76952Registers.DeviceNumber:
                Put(DeviceNumber); Put(DeviceNumber >> 8);
                break;
            case 0x0002: // FW_VERSION: device number, firmware 1.00, build 0
                Put(0x95); Put(0x76); Put(0x01); Put(0x00); Put(0x00); Put(0x00);
                break;
            case Bq76952Registers.ManufacturingStatus:
                Put(FetEnabled ? Bq76952Registers.ManufacturingStatusFetEn : 0); Put(0);
                break;
            case Bq76952Registers.CbActiveCells:
                Put(BalancingMask); Put(BalancingMask >> 8);
                break;
            case Bq76952Registers.FetEnable:
                FetEnabled = !FetEnabled;
                break;
            case Bq76952Registers.SetCfgUpdate:
                ConfigUpdateMode = true;
                BalancingMask = 0;
                break;
            case Bq76952Registers.ExitCfgUpdate:
                if (ConfigUpdateMode)
                {
                    ConfigUpdateMode = false;
                    _por = false;
                    _alarmEnable = DataMemory(Bq76952Registers.DmDefaultAlarmMask, 2);
                }
                break;
            case Bq76952Registers.DsgPdsgOff: _hostDsgOff = true; break;
            case Bq76952Registers.ChgPchgOff: _hostChgOff = true; break;
            case Bq76952Registers.AllFetsOff: _hostChgOff = _hostDsgOff = true; break;
            case Bq76952Registers.AllFetsOn: _hostChgOff = _hostDsgOff = false; break;
            case Bq76952Registers.Reset:
                ResetToDefaults();
                return;
            case >= DmFirst and <= DmLast:
                Array.Copy(_dm, code - DmFirst, _transfer, 0, 32);
                length = 32;
                break;
        }
        int sum = (byte)code + (byte)(code >> 8);
        for (int i = 0; i < length; i++) sum += _transfer[i];
        _transfer[0x60 - 0x40] = (byte)~sum;
        _transfer[0x61 - 0x40] = (byte)(length + 4);
    }

    private void ExecuteWrite()
    {
        int code = _command3E | (_command3F << 8);
        int dataLength = _transfer[0x61 - 0x40] - 4;
        if (dataLength < 0 || dataLength > 32) { RejectedChecksums++; return; }
        int sum = _command3E + _command3F;
        for (int i = 0; i < dataLength; i++) sum += _transfer[i];
        if ((byte)~sum != _transfer[0x60 - 0x40]) { RejectedChecksums++; return; }
        _busyReads = SubcommandBusyReads;
        if (code >= DmFirst && code <= DmLast)
        {
            if (!ConfigUpdateMode) { RejectedDataMemoryWrites++; return; }
            if (SilentlyDroppedDataMemoryWrites.Contains(code)) return;
            Array.Copy(_transfer, 0, _dm, code - DmFirst, dataLength);
        }
        else if (code == Bq76952Registers.CbActiveCells && dataLength >= 2 && !ConfigUpdateMode)
        {
            int mask = _transfer[0] | (_transfer[1] << 8);
            if (System.Numerics.BitOperations.PopCount((uint)mask) <= DataMemory(Bq76952Registers.DmCellBalanceMaxCells, 1))
                BalancingMask = mask;
        }
    }

    // ------------------------------------------------------------------ II2cDevice

    private BusStatus Begin(int framedBytes)
    {
        Transactions++;
        if (Active(EmulatorFault.Nack)) { BusBytes += 1; return BusStatus.AddressNack; }
        BusBytes += framedBytes;
        if (Active(EmulatorFault.NoAnswer)) return BusStatus.Timeout;
        MaybeConvert();
        return BusStatus.Ok;
    }

    public BusStatus Write(byte[] buffer, int offset, int count)
    {
        BusStatus status = Begin(1 + count);
        if (status != BusStatus.Ok) return status;
        if (LogWrites) WriteLog.Add(buffer.AsSpan(offset, count).ToArray());
        if (count == 0) return BusStatus.Ok;
        return WritePhase(buffer, offset, count);
    }

    private BusStatus WritePhase(byte[] buffer, int offset, int count)
    {
        byte register = buffer[offset];
        int dataCount;
        byte[] data = _writeData;
        if (CrcMode)
        {
            if ((count - 1) % 2 != 0) { CrcErrorsDetected++; return BusStatus.DataNack; }
            dataCount = (count - 1) / 2;
            for (int i = 0; i < dataCount; i++)
            {
                byte value = buffer[offset + 1 + 2 * i];
                byte crc = buffer[offset + 2 + 2 * i];
                byte expected = i == 0 ? ChipChecksums.Crc8(0, (byte)(Address << 1), (byte)register, value) : ChipChecksums.Crc8(0, value);
                if (crc != expected) { CrcErrorsDetected++; return BusStatus.DataNack; } // the chip NACKs and drops the write
                data[i] = value;
            }
        }
        else
        {
            dataCount = count - 1;
            Array.Copy(buffer, offset + 1, data, 0, dataCount);
        }
        _pointer = register;
        for (int i = 0; i < dataCount; i++) WriteRegister(register + i, data[i]);
        return BusStatus.Ok;
    }

    public BusStatus Read(byte[] buffer, int offset, int count)
    {
        BusStatus status = Begin(1 + count);
        if (status != BusStatus.Ok) return status;
        ReadPhase(buffer, offset, count, firstCrcIncludesRegister: false);
        return BusStatus.Ok;
    }

    public BusStatus WriteRead(byte[] writeBuffer, int writeOffset, int writeCount, byte[] readBuffer, int readOffset, int readCount)
    {
        BusStatus status = Begin(2 + writeCount + readCount);
        if (status != BusStatus.Ok) return status;
        if (writeCount > 1)
        {
            status = WritePhase(writeBuffer, writeOffset, writeCount);
            if (status != BusStatus.Ok) return status;
        }
        else if (writeCount == 1)
        {
            _pointer = writeBuffer[writeOffset];
        }
        ReadPhase(readBuffer, readOffset, readCount, firstCrcIncludesRegister: writeCount >= 1);
        return BusStatus.Ok;
    }

    private void ReadPhase(byte[] buffer, int offset, int count, bool firstCrcIncludesRegister)
    {
        int dataCount = CrcMode ? count / 2 : count;
        bool spansEcho = _pointer <= 0x3F && _pointer + dataCount > 0x3E;
        bool echoBusy = spansEcho && _busyReads > 0;
        if (echoBusy) _busyReads--;
        bool corrupt = CrcMode && Active(EmulatorFault.CorruptCrc);
        byte register = (byte)_pointer;
        for (int i = 0; i < dataCount; i++)
        {
            byte value = ReadRegister(_pointer + i, echoBusy);
            if (!CrcMode) { buffer[offset + i] = value; continue; }
            byte crc = i == 0
                ? (firstCrcIncludesRegister
                    ? ChipChecksums.Crc8(0, (byte)(Address << 1), (byte)register, (byte)((Address << 1) | 1), value)
                    : ChipChecksums.Crc8(0, (byte)((Address << 1) | 1), value))
                : ChipChecksums.Crc8(0, value);
            if (corrupt && i == 0) crc ^= 0x5A;
            buffer[offset + 2 * i] = value;
            buffer[offset + 2 * i + 1] = crc;
        }
        _pointer = (_pointer + dataCount) & 0x7F;
    }
}
