using Bms.Drivers.Common;
using Bms.Drivers.Ltc681x;
using Bms.Emulators.Common;
using Bms.Hal;

namespace Bms.Emulators.Ltc681x;

/// <summary>
/// Command-level emulator of an isoSPI daisy chain of LTC6811/6812/6813/ADBMS1818 devices as the host sees it
/// through an LTC6820: every <see cref="TransferFullDuplex"/> is one chip-select frame. It decodes the 11-bit
/// commands, ignores any command or write data whose PEC is wrong (as the silicon does), keeps configuration,
/// cell and aux registers per device, converts from <see cref="Pack"/> with the conversion times, answers reads
/// with the nearest device's block first (each block followed by its own PEC), hands write blocks out with the
/// farthest device's first, and models isoSPI IDLE (frames lost until the ports are woken), the watchdog SLEEP
/// (configuration reset; DCC kept while the discharge timer runs), the discharge timer, ADOW pull-up/pull-down
/// currents on open sense wires, and the faults of <see cref="EmulatorFault"/>.
/// Device 0 is the one next to the LTC6820 and monitors the bottom cells.
/// </summary>
public sealed class Ltc681xChainEmulator : ISpiDevice, IChipEmulator
{
    /// <summary>isoSPI port idle timeout (datasheet tIDLE minimum: the strictest the driver can meet).</summary>
    public const long IdleTimeout_us = 4300;
    /// <summary>Watchdog timeout to SLEEP (datasheet tSLEEP minimum).</summary>
    public const long SleepTimeout_us = 1_800_000;
    /// <summary>Core wake-up from SLEEP, per device.</summary>
    public const long WakeTime_us = 400;
    /// <summary>isoSPI port wake-up from IDLE, per device.</summary>
    public const long ReadyTime_us = 10;
    /// <summary>Reference power-up when a conversion starts with REFON = 0.</summary>
    public const long ReferenceUpTime_us = 4400;

    /// <summary>Nominal 2nd reference voltage that feeds the thermistor dividers (V).</summary>
    public const double Reference2_V = 3.0;

    /// <summary>The 2nd reference this emulated chain really has (drift/tolerance can be set; ±0.3 % in spec).</summary>
    public double Reference2Actual_V { get; set; } = Reference2_V;
    /// <summary>Divider pull-up (Ω).</summary>
    public const double PullUp_ohm = 10_000;
    /// <summary>NTC resistance at 25 °C (Ω).</summary>
    public const double NtcR25_ohm = 10_000;
    /// <summary>NTC Beta (K).</summary>
    public const double NtcBeta_K = 3435;

    private const int InvalidCode = 0xFFFF;

    private readonly IMonotonicClock _clock;
    private readonly Device[] _devices;
    private readonly int[] _cellOffset;
    private readonly int[] _thermistorGpio;
    private readonly int _inputs;
    private readonly int _gpios;
    private readonly bool _hasConfigB;
    private readonly HashSet<int> _openWires = new();
    private readonly Dictionary<int, int> _stuckCellCode = new();
    private readonly Dictionary<int, int> _stuckTemperature_dC = new();
    private bool _noAnswer;
    private bool _frozen;
    private int _corruptTarget = int.MinValue;
    private int _missingFrom = int.MaxValue;
    private int _corruptNextFrames;

    /// <summary>A chain of identical devices, each using <paramref name="cellsPerDevice"/> cells.</summary>
    public Ltc681xChainEmulator(Ltc681xVariant variant, int deviceCount, int cellsPerDevice, int thermistorGpioMask, IMonotonicClock clock)
        : this(variant, Enumerable.Repeat(cellsPerDevice, deviceCount).ToArray(), thermistorGpioMask, clock)
    {
    }

    /// <summary>A chain whose device <c>d</c> uses <c>cellsPerDevice[d]</c> cells (C1..Cn, unused inputs tied to Cn).</summary>
    public Ltc681xChainEmulator(Ltc681xVariant variant, int[] cellsPerDevice, int thermistorGpioMask, IMonotonicClock clock)
        : this(null, variant, cellsPerDevice, thermistorGpioMask, clock)
    {
    }

    /// <summary>
    /// A chain measuring a pack the harness already owns (shared with other models). Its cell count must equal
    /// the sum of <paramref name="cellsPerDevice"/> and its temperature count devices × thermistor GPIOs
    /// (device-major, in GPIO order).
    /// </summary>
    public Ltc681xChainEmulator(EmulatedPack? pack, Ltc681xVariant variant, int[] cellsPerDevice, int thermistorGpioMask, IMonotonicClock clock)
    {
        ArgumentNullException.ThrowIfNull(cellsPerDevice);
        ArgumentNullException.ThrowIfNull(clock);
        if (cellsPerDevice.Length < 1) throw new ArgumentException("at least one device", nameof(cellsPerDevice));
        Variant = variant;
        _clock = clock;
        _inputs = Ltc681xVariantInfo.CellInputs(variant);
        _gpios = Ltc681xVariantInfo.GpioCount(variant);
        _hasConfigB = Ltc681xVariantInfo.HasConfigurationB(variant);
        if (thermistorGpioMask < 0 || (thermistorGpioMask >> _gpios) != 0)
            throw new ArgumentException($"GPIO mask 0x{thermistorGpioMask:X} exceeds the {_gpios} GPIOs of {variant}", nameof(thermistorGpioMask));
        _thermistorGpio = Enumerable.Range(1, _gpios).Where(g => (thermistorGpioMask & (1 << (g - 1))) != 0).ToArray();
        _devices = new Device[cellsPerDevice.Length];
        _cellOffset = new int[cellsPerDevice.Length];
        int total = 0;
        for (int d = 0; d < _devices.Length; d++)
        {
            if (cellsPerDevice[d] < 1 || cellsPerDevice[d] > _inputs)
                throw new ArgumentException($"device {d}: {cellsPerDevice[d]} cells, {variant} has {_inputs} inputs", nameof(cellsPerDevice));
            _devices[d] = new Device(cellsPerDevice[d], _inputs);
            _cellOffset[d] = total;
            total += cellsPerDevice[d];
            PowerOnReset(_devices[d]);
            _devices[d].Asleep = true;
        }
        int temperatures = _thermistorGpio.Length * _devices.Length;
        if (pack == null)
        {
            Pack = new EmulatedPack(total, temperatures);
            for (int i = 0; i < total; i++) Pack.CellVoltage_mV[i] = 3700;
        }
        else
        {
            if (pack.CellCount != total)
                throw new ArgumentException($"pack has {pack.CellCount} cells, the chain measures {total}", nameof(pack));
            if (pack.TemperatureCount != temperatures)
                throw new ArgumentException($"pack has {pack.TemperatureCount} temperatures, the chain has {temperatures} thermistors", nameof(pack));
            Pack = pack;
        }
        SubMillivoltCode = new int[total];
    }

    public Ltc681xVariant Variant { get; }

    public EmulatedPack Pack { get; }

    public int DeviceCount => _devices.Length;

    /// <summary>Extra 100 µV steps added to each cell's code (0..9), to exercise sub-millivolt rounding.</summary>
    public int[] SubMillivoltCode { get; }

    /// <summary>Commands executed by device 0, in order (for protocol assertions; the oldest are dropped past 100 000).</summary>
    public List<int> ExecutedCommands { get; } = new();

    /// <summary>Frames whose command PEC was wrong (ignored).</summary>
    public int CommandsRejected { get; private set; }

    /// <summary>Write blocks ignored because their data PEC was wrong.</summary>
    public int WriteBlocksRejected { get; private set; }

    /// <summary>Frames that arrived while device 0's port or core was not ready (lost).</summary>
    public int FramesLost { get; private set; }

    /// <summary>Watchdog timeouts (device went to SLEEP and reset its configuration), all devices.</summary>
    public int WatchdogTimeouts { get; private set; }

    /// <summary>Wake-ups from SLEEP, all devices.</summary>
    public int SleepWakeUps { get; private set; }

    /// <summary>Bytes clocked through the emulator (both directions count once, as on the wire).</summary>
    public long BytesClocked { get; private set; }

    // ---- observation -------------------------------------------------------------------------------

    /// <summary>DCC bits (bit 0 = C1 discharge) device <paramref name="device"/> is driving now.</summary>
    public int DischargeMask(int device)
    {
        var dev = _devices[device];
        Update(dev, _clock.Now_us);
        return Dcc(dev);
    }

    /// <summary>Copy of configuration register group A as stored (write view) by <paramref name="device"/>.</summary>
    public byte[] ConfigurationA(int device)
    {
        Update(_devices[device], _clock.Now_us);
        return (byte[])_devices[device].CfgA.Clone();
    }

    /// <summary>Copy of configuration register group B as stored by <paramref name="device"/>.</summary>
    public byte[] ConfigurationB(int device) => (byte[])_devices[device].CfgB.Clone();

    /// <summary>Raw cell code register of a device (input 0-based).</summary>
    public int CellCode(int device, int input)
    {
        var dev = _devices[device];
        Publish(dev, _clock.Now_us);
        return dev.Cells[input];
    }

    public bool IsAsleep(int device)
    {
        Update(_devices[device], _clock.Now_us);
        return _devices[device].Asleep;
    }

    /// <summary>The GPIO voltage code a thermistor at <paramref name="temperature_dC"/> produces (Beta model, double).</summary>
    public static int ThermistorCode(int temperature_dC, double reference_V = Reference2_V)
    {
        double kelvin = temperature_dC / 10.0 + 273.15;
        double r = NtcR25_ohm * Math.Exp(NtcBeta_K * (1.0 / kelvin - 1.0 / 298.15));
        double v = reference_V * r / (r + PullUp_ohm);
        return (int)Math.Round(v * 10_000);
    }

    // ---- fault injection ---------------------------------------------------------------------------

    /// <summary>
    /// CorruptCrc: answers of device <paramref name="target"/> (−1 = all) carry a wrong PEC. NoAnswer: nothing
    /// reaches the chain, reads are all 0xFF. StuckValue: cell <paramref name="target"/> (0-based; CellCount + k
    /// = thermistor k) keeps its present value. FrozenValue: the ADCs stop converting (registers keep the last
    /// results; CLRCELL/CLRAUX still clear them). OpenWire: sense wire <paramref name="target"/> (0 = bottom of
    /// device 0; a wire between two devices feeds both). DeviceMissing: device <paramref name="target"/> and every
    /// device beyond it are cut off. ChipReset: device <paramref name="target"/> (−1 = all) powers up again now.
    /// </summary>
    public void Inject(EmulatorFault fault, int target = -1)
    {
        switch (fault)
        {
            case EmulatorFault.CorruptCrc:
                _corruptTarget = target;
                break;
            case EmulatorFault.NoAnswer:
                _noAnswer = true;
                break;
            case EmulatorFault.StuckValue:
                if (target < 0) throw new ArgumentException("StuckValue needs a cell or thermistor index", nameof(target));
                if (target < Pack.CellCount) _stuckCellCode[target] = Pack.CellVoltage_mV[target] * 10 + SubMillivoltCode[target];
                else if (target - Pack.CellCount < Pack.TemperatureCount)
                    _stuckTemperature_dC[target - Pack.CellCount] = Pack.Temperature_dC[target - Pack.CellCount];
                else throw new ArgumentOutOfRangeException(nameof(target));
                break;
            case EmulatorFault.FrozenValue:
                _frozen = true;
                break;
            case EmulatorFault.OpenWire:
                if (target < 0 || target > Pack.CellCount) throw new ArgumentOutOfRangeException(nameof(target), "wire 0..CellCount");
                _openWires.Add(target);
                foreach (var (dev, pin) in PinsOfWire(target))
                {
                    // The filter capacitor holds the node where it was until an ADOW current moves it.
                    dev.Held[pin] = TruePins(dev, Array.IndexOf(_devices, dev))[pin];
                    dev.HeldDirection[pin] = 0;
                    dev.HeldCount[pin] = 0;
                }
                break;
            case EmulatorFault.DeviceMissing:
                _missingFrom = target < 0 ? 0 : target;
                break;
            case EmulatorFault.ChipReset:
                for (int d = 0; d < _devices.Length; d++)
                    if (target < 0 || target == d) PowerOnReset(_devices[d]);
                break;
            default:
                throw new NotSupportedException($"{fault} is not a fault of an isoSPI chain");
        }
    }

    public void Clear(EmulatorFault fault)
    {
        switch (fault)
        {
            case EmulatorFault.CorruptCrc: _corruptTarget = int.MinValue; _corruptNextFrames = 0; break;
            case EmulatorFault.NoAnswer: _noAnswer = false; break;
            case EmulatorFault.StuckValue: _stuckCellCode.Clear(); _stuckTemperature_dC.Clear(); break;
            case EmulatorFault.FrozenValue: _frozen = false; break;
            case EmulatorFault.OpenWire: _openWires.Clear(); break;
            case EmulatorFault.DeviceMissing: _missingFrom = int.MaxValue; break;
            case EmulatorFault.ChipReset: break;
        }
    }

    public void ClearAll()
    {
        foreach (EmulatorFault f in Enum.GetValues<EmulatorFault>()) Clear(f);
    }

    /// <summary>Corrupts the PEC of every device's answer in the next <paramref name="frames"/> read frames only.</summary>
    public void CorruptNextAnswers(int frames) => _corruptNextFrames = frames;

    // ---- the bus -----------------------------------------------------------------------------------

    public BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[]? readBuffer, int readOffset, int count)
    {
        ArgumentNullException.ThrowIfNull(writeBuffer);
        long now = _clock.Now_us;
        BytesClocked += count;
        if (readBuffer != null)
            for (int i = 0; i < count; i++) readBuffer[readOffset + i] = 0xFF;
        foreach (var dev in _devices) Update(dev, now);
        if (_noAnswer) return BusStatus.Ok;

        int reachable = Math.Min(_missingFrom, _devices.Length);
        int received = Propagate(now, reachable);
        if (received == 0 || count < 4) return BusStatus.Ok;

        int command = ((writeBuffer[writeOffset] & 0x07) << 8) | writeBuffer[writeOffset + 1];
        if (!ChipChecksums.CheckPec15(writeBuffer, writeOffset, 2))
        {
            CommandsRejected++;
            return BusStatus.Ok;
        }
        for (int k = 0; k < received; k++) _devices[k].LastValidCommand_us = now;
        if (ExecutedCommands.Count >= 100_000) ExecutedCommands.RemoveRange(0, 50_000); // long replays
        ExecutedCommands.Add(command);

        int blocks = (count - 4) / 8;
        bool corruptAll = _corruptNextFrames > 0;
        switch (command)
        {
            case Ltc681xCommands.WRCFGA:
            case Ltc681xCommands.WRCFGB:
                for (int k = 0; k < received; k++)
                {
                    int block = blocks - 1 - k; // the nearest device keeps the last block
                    if (block < 0) continue;
                    int o = writeOffset + 4 + 8 * block;
                    if (!ChipChecksums.CheckPec15(writeBuffer, o, 6)) { WriteBlocksRejected++; continue; }
                    if (command == Ltc681xCommands.WRCFGA) WriteConfigA(_devices[k], writeBuffer, o, now);
                    else if (_hasConfigB) WriteConfigB(_devices[k], writeBuffer, o);
                }
                return BusStatus.Ok;
            case Ltc681xCommands.CLRCELL:
                for (int k = 0; k < received; k++) { Publish(_devices[k], now); Fill(_devices[k].Cells, InvalidCode); _devices[k].CellPending = null; }
                return BusStatus.Ok;
            case Ltc681xCommands.CLRAUX:
                for (int k = 0; k < received; k++) { Publish(_devices[k], now); Fill(_devices[k].Aux, InvalidCode); _devices[k].AuxPending = null; }
                return BusStatus.Ok;
        }

        if ((command & 0x668) == 0x260) { for (int k = 0; k < received; k++) StartCellConversion(k, now, command & 7, adow: 0); return BusStatus.Ok; }
        if ((command & 0x628) == 0x228) { for (int k = 0; k < received; k++) StartCellConversion(k, now, command & 7, adow: (command & 0x40) != 0 ? 1 : -1); return BusStatus.Ok; }
        if ((command & 0x678) == 0x460) { for (int k = 0; k < received; k++) StartAuxConversion(k, now, command & 7); return BusStatus.Ok; }

        int group = ReadGroupIndex(command, out bool isCell, out bool isAux, out bool isConfig);
        if (group < 0 || readBuffer == null) return BusStatus.Ok;
        if (_corruptNextFrames > 0) _corruptNextFrames--;
        for (int k = 0; k < received; k++)
        {
            int o = 4 + 8 * k; // the nearest device's block comes first
            if (o + 8 > count) break;
            var dev = _devices[k];
            Publish(dev, now);
            var block = new byte[6];
            if (isConfig) FillConfigRead(dev, group, block, now);
            else
            {
                int[] regs = isCell ? dev.Cells : dev.Aux;
                if (isCell && group >= _inputs / 3) Fill(block, 0xFF);
                else if (isAux && group >= Ltc681xVariantInfo.AuxGroupCount(Variant)) Fill(block, 0xFF);
                else
                    for (int w = 0; w < 3; w++)
                    {
                        int v = regs[group * 3 + w];
                        block[2 * w] = (byte)v;
                        block[2 * w + 1] = (byte)(v >> 8);
                    }
            }
            Array.Copy(block, 0, readBuffer, readOffset + o, 6);
            ChipChecksums.AppendPec15(readBuffer, readOffset + o, 6);
            if (corruptAll || _corruptTarget == -1 || _corruptTarget == k) readBuffer[readOffset + o + 7] ^= 0x02;
        }
        return BusStatus.Ok;
    }

    // ---- chain timing ------------------------------------------------------------------------------

    /// <summary>
    /// Decides which devices take part in a frame at <paramref name="now"/>. A frame reaching a port that idles
    /// (or a core that sleeps) is lost there and starts the wake-up ripple: each device becomes ready
    /// tREADY (port idle) or tWAKE (core asleep) after the one below it. Returns how many devices, from device 0
    /// up, received the frame.
    /// </summary>
    private int Propagate(long now, int reachable)
    {
        for (int k = 0; k < reachable; k++)
        {
            var dev = _devices[k];
            bool ready = !dev.Asleep && now >= dev.ReadyAt_us && now - dev.LastActivity_us < IdleTimeout_us;
            if (ready)
            {
                dev.LastActivity_us = now;
                continue;
            }
            if (k == 0) FramesLost++;
            if (now < dev.ReadyAt_us) return k; // still waking: the frame stops here
            long at = now;
            for (int j = k; j < reachable; j++)
            {
                var dj = _devices[j];
                bool djReady = !dj.Asleep && now >= dj.ReadyAt_us && now - dj.LastActivity_us < IdleTimeout_us;
                if (djReady) { dj.LastActivity_us = now; continue; }
                if (now < dj.ReadyAt_us) break;
                if (dj.Asleep)
                {
                    at += WakeTime_us;
                    dj.Asleep = false;
                    dj.LastValidCommand_us = at; // the watchdog restarts from STANDBY
                    SleepWakeUps++;
                }
                else at += ReadyTime_us;
                dj.ReadyAt_us = at;
                dj.LastActivity_us = at;
            }
            return k;
        }
        return reachable;
    }

    /// <summary>Applies what the passing of time does on its own: watchdog sleep, discharge timer, conversions.</summary>
    private void Update(Device dev, long now)
    {
        if (!dev.Asleep && now - dev.LastValidCommand_us >= SleepTimeout_us)
        {
            long sleptAt = dev.LastValidCommand_us + SleepTimeout_us;
            ExpireDischarge(dev, sleptAt);
            Publish(dev, sleptAt);
            dev.Asleep = true;
            WatchdogTimeouts++;
            bool timerKeepsDischarge = dev.DischargeTimer_s > 0; // DTEN pin high and DCTO != 0
            byte a4 = dev.CfgA[4], a5 = dev.CfgA[5], b0 = dev.CfgB[0], b1 = dev.CfgB[1];
            ResetConfiguration(dev);
            if (timerKeepsDischarge)
            {
                dev.CfgA[4] = a4;
                dev.CfgA[5] = a5;
                dev.CfgB[0] = (byte)((b0 & 0xF0) | (dev.CfgB[0] & 0x0F));
                dev.CfgB[1] = (byte)(b1 & 0x03);
            }
            else dev.DischargeTimer_s = 0;
        }
        ExpireDischarge(dev, now);
    }

    private static void ExpireDischarge(Device dev, long now)
    {
        if (dev.DischargeTimer_s > 0 && now - dev.DischargeStart_us >= dev.DischargeTimer_s * 1_000_000L)
        {
            dev.CfgA[4] = 0;
            dev.CfgA[5] = 0;
            dev.CfgB[0] &= 0x0F;
            dev.CfgB[1] &= 0xFC;
            dev.DischargeTimer_s = 0;
        }
    }

    // ---- registers ---------------------------------------------------------------------------------

    private void PowerOnReset(Device dev)
    {
        ResetConfiguration(dev);
        dev.DischargeTimer_s = 0;
        Fill(dev.Cells, InvalidCode);
        Fill(dev.Aux, InvalidCode);
        dev.CellPending = null;
        dev.AuxPending = null;
    }

    private void ResetConfiguration(Device dev)
    {
        Fill(dev.CfgA, 0);
        dev.CfgA[0] = 0xF8; // GPIO pull-downs off, REFON = 0, ADCOPT = 0
        Fill(dev.CfgB, 0);
        if (_hasConfigB) dev.CfgB[0] = 0x0F;
    }

    private void WriteConfigA(Device dev, byte[] buffer, int o, long now)
    {
        bool refWasOn = (dev.CfgA[0] & 0x04) != 0;
        for (int i = 0; i < 6; i++) dev.CfgA[i] = buffer[o + i];
        dev.CfgA[0] &= 0xFD; // DTEN is read-only
        if ((dev.CfgA[0] & 0x04) != 0 && !refWasOn) dev.ReferenceReadyAt_us = now + ReferenceUpTime_us;
        int dcto = dev.CfgA[5] >> 4;
        // Writing DCTO restarts the discharge timer.
        dev.DischargeTimer_s = Ltc681xCommands.DischargeTimeout_s(dcto);
        dev.DischargeStart_us = now;
    }

    private void WriteConfigB(Device dev, byte[] buffer, int o)
    {
        dev.CfgB[0] = buffer[o];
        dev.CfgB[1] = (byte)(buffer[o + 1] & 0x7F); // MUTE is read-only
        if (Variant == Ltc681xVariant.Ltc6812)
        {
            dev.CfgB[0] &= 0x7F; // no DCC16
            dev.CfgB[1] &= 0xFC; // no DCC17/18
        }
    }

    private void FillConfigRead(Device dev, int group, byte[] block, long now)
    {
        if (group == 0)
        {
            Array.Copy(dev.CfgA, block, 6);
            block[0] |= 0x02; // DTEN pin tied high
            // DCTO reads back the time left, as the smallest code that still covers it.
            int left = 0;
            if (dev.DischargeTimer_s > 0)
            {
                long remaining_s = (dev.DischargeTimer_s * 1_000_000L - (now - dev.DischargeStart_us) + 999_999) / 1_000_000;
                left = 1;
                while (left < 15 && Ltc681xCommands.DischargeTimeout_s(left) < remaining_s) left++;
            }
            block[5] = (byte)((left << 4) | (dev.CfgA[5] & 0x0F));
        }
        else if (_hasConfigB) Array.Copy(dev.CfgB, block, 6);
        else Fill(block, 0xFF);
    }

    private static int Dcc(Device dev) =>
        dev.CfgA[4] | ((dev.CfgA[5] & 0x0F) << 8) | (((dev.CfgB[0] >> 4) & 0x0F) << 12) | ((dev.CfgB[1] & 0x03) << 16);

    private int ReadGroupIndex(int command, out bool isCell, out bool isAux, out bool isConfig)
    {
        isCell = isAux = isConfig = false;
        switch (command)
        {
            case Ltc681xCommands.RDCFGA: isConfig = true; return 0;
            case Ltc681xCommands.RDCFGB: isConfig = true; return 1;
            case Ltc681xCommands.RDCVA: isCell = true; return 0;
            case Ltc681xCommands.RDCVB: isCell = true; return 1;
            case Ltc681xCommands.RDCVC: isCell = true; return 2;
            case Ltc681xCommands.RDCVD: isCell = true; return 3;
            case Ltc681xCommands.RDCVE: isCell = true; return 4;
            case Ltc681xCommands.RDCVF: isCell = true; return 5;
            case Ltc681xCommands.RDAUXA: isAux = true; return 0;
            case Ltc681xCommands.RDAUXB: isAux = true; return 1;
            case Ltc681xCommands.RDAUXC: isAux = true; return 2;
            case Ltc681xCommands.RDAUXD: isAux = true; return 3;
            default: return -1;
        }
    }

    // ---- conversions -------------------------------------------------------------------------------

    private long CellConversionTime_us => Variant == Ltc681xVariant.Ltc6811 ? 2335 : 2343;
    private long AuxConversionTime_us => Variant == Ltc681xVariant.Ltc6811 ? 2335 : 3875;

    private long ConversionStart(Device dev, long now)
    {
        if ((dev.CfgA[0] & 0x04) == 0) return now + ReferenceUpTime_us; // reference powers up first
        return Math.Max(now, dev.ReferenceReadyAt_us);
    }

    /// <summary>adow: 0 = ADCV, +1 = ADOW pull-up, −1 = ADOW pull-down.</summary>
    private void StartCellConversion(int k, long now, int channels, int adow)
    {
        var dev = _devices[k];
        Publish(dev, now);
        if (_frozen) return;
        if (adow != 0) ApplyOpenWireCurrents(dev, k, adow);
        long[] pins = EffectivePins(dev, k);
        var result = (int[])dev.Cells.Clone();
        for (int i = 0; i < _inputs; i++)
        {
            if (channels != 0 && i % 6 != channels - 1) continue;
            long code = pins[i + 1] - pins[i];
            int global = _cellOffset[k] + i;
            if (i < dev.Used && !AnyPinFloating(dev, i)) code += SubMillivoltCode[global];
            if (i < dev.Used && _stuckCellCode.TryGetValue(global, out int stuck)) code = stuck;
            result[i] = (int)Math.Clamp(code, 0, 0xFFFE);
        }
        dev.CellPending = result;
        dev.CellDoneAt_us = ConversionStart(dev, now) + CellConversionTime_us;
    }

    private void StartAuxConversion(int k, long now, int channels)
    {
        var dev = _devices[k];
        Publish(dev, now);
        if (_frozen) return;
        var result = (int[])dev.Aux.Clone();
        // Word layout: A = G1 G2 G3, B = G4 G5 REF, C = G6 G7 G8, D = G9 (rest reserved).
        for (int g = 1; g <= _gpios; g++)
        {
            if (channels != 0 && channels != g) continue;
            int word = g <= 5 ? g - 1 : g;
            int rank = Array.IndexOf(_thermistorGpio, g);
            int code = 0;
            if (rank >= 0)
            {
                int channel = k * _thermistorGpio.Length + rank;
                int t = _stuckTemperature_dC.TryGetValue(channel, out int s) ? s : Pack.Temperature_dC[channel];
                code = ThermistorCode(t, Reference2Actual_V);
            }
            result[word] = code;
        }
        if (channels == 0 || channels == 6) result[5] = (int)Math.Round(Reference2Actual_V * 10_000);
        dev.AuxPending = result;
        dev.AuxDoneAt_us = ConversionStart(dev, now) + AuxConversionTime_us;
    }

    /// <summary>Results become visible only when their conversion has finished.</summary>
    private static void Publish(Device dev, long now)
    {
        if (dev.CellPending != null && now >= dev.CellDoneAt_us) { Array.Copy(dev.CellPending, dev.Cells, dev.Cells.Length); dev.CellPending = null; }
        if (dev.AuxPending != null && now >= dev.AuxDoneAt_us) { Array.Copy(dev.AuxPending, dev.Aux, dev.Aux.Length); dev.AuxPending = null; }
    }

    // ---- sense-wire physics (100 µV units) ---------------------------------------------------------

    /// <summary>True pin voltages C0..Ctop of device k relative to its C0; unused inputs sit at the top used pin.</summary>
    private long[] TruePins(Device dev, int k)
    {
        var pins = new long[_inputs + 1];
        for (int i = 1; i <= _inputs; i++)
        {
            long cell = i <= dev.Used ? Pack.CellVoltage_mV[_cellOffset[k] + i - 1] * 10L : 0;
            pins[i] = pins[i - 1] + cell;
        }
        return pins;
    }

    /// <summary>Device-local pin nodes a global wire connects to (two devices share the wire between them).</summary>
    private IEnumerable<(Device dev, int pin)> PinsOfWire(int wire)
    {
        for (int k = 0; k < _devices.Length; k++)
        {
            int local = wire - _cellOffset[k];
            if (local >= 0 && local <= _devices[k].Used) yield return (_devices[k], local);
        }
    }

    private bool PinFloating(Device dev, int k, int pin)
    {
        int node = Math.Min(pin, dev.Used); // unused inputs are tied to the top used pin
        return _openWires.Contains(_cellOffset[k] + node);
    }

    private bool AnyPinFloating(Device dev, int input)
    {
        int k = Array.IndexOf(_devices, dev);
        return PinFloating(dev, k, input) || PinFloating(dev, k, input + 1);
    }

    private long[] EffectivePins(Device dev, int k)
    {
        long[] pins = TruePins(dev, k);
        for (int p = 0; p <= _inputs; p++)
            if (PinFloating(dev, k, p)) pins[p] = dev.Held[Math.Min(p, dev.Used)];
        return pins;
    }

    /// <summary>
    /// The 100 µA ADOW current drags a floating node (its filter capacitor) toward the neighbouring wire:
    /// pull-up toward the wire above, pull-down toward the wire below (V− for wire 0). One conversion gets it
    /// half way, the second all the way: the reason the datasheet asks for at least two of each.
    /// </summary>
    private void ApplyOpenWireCurrents(Device dev, int k, int direction)
    {
        long[] truth = TruePins(dev, k);
        for (int node = 0; node <= dev.Used; node++)
        {
            if (!_openWires.Contains(_cellOffset[k] + node)) continue;
            long target = direction > 0
                ? (node < dev.Used ? truth[node + 1] : truth[node])
                : (node > 0 ? truth[node - 1] : 0);
            if (dev.HeldDirection[node] == direction) dev.HeldCount[node]++;
            else { dev.HeldDirection[node] = direction; dev.HeldCount[node] = 1; }
            dev.Held[node] = dev.HeldCount[node] >= 2 ? target : (dev.Held[node] + target) / 2;
        }
    }

    private static void Fill(int[] a, int v) { for (int i = 0; i < a.Length; i++) a[i] = v; }
    private static void Fill(byte[] a, byte v) { for (int i = 0; i < a.Length; i++) a[i] = v; }

    private sealed class Device
    {
        public Device(int used, int inputs)
        {
            Used = used;
            Cells = new int[inputs];
            Held = new long[inputs + 1];
            HeldDirection = new int[inputs + 1];
            HeldCount = new int[inputs + 1];
        }

        public readonly int Used;
        public readonly byte[] CfgA = new byte[6];
        public readonly byte[] CfgB = new byte[6];
        public readonly int[] Cells;
        public readonly int[] Aux = new int[12];
        public int[]? CellPending;
        public int[]? AuxPending;
        public long CellDoneAt_us;
        public long AuxDoneAt_us;
        public long ReferenceReadyAt_us;
        public bool Asleep;
        public long ReadyAt_us;
        public long LastActivity_us = long.MinValue / 2;
        public long LastValidCommand_us;
        public int DischargeTimer_s;
        public long DischargeStart_us;
        public readonly long[] Held;
        public readonly int[] HeldDirection;
        public readonly int[] HeldCount;
    }
}
