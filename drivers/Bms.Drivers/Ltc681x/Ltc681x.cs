using System;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Common;
using Bms.Hal;

namespace Bms.Drivers.Ltc681x
{
    /// <summary>
    /// Driver for a daisy chain of LTC6811-1 / LTC6812-1 / LTC6813-1 / ADBMS1818 battery-stack monitors behind
    /// one LTC6820 isoSPI bridge on an SPI bus. Device 0 is the one wired to the LTC6820 (bottom of the stack).
    /// <para>
    /// One <see cref="Measure"/> = wake (if the isoSPI ports or cores sleep) → RDCFGA (detects chips that lost
    /// their configuration: re-written and counted) → CLRCELL → ADCV → wait → RDCV of every group holding a
    /// used cell → CLRAUX → ADAX → wait → RDAUX of every group holding a thermistor. Clearing before converting
    /// means a conversion that never ran reads 0xFFFF (invalid) instead of an old value looking fresh.
    /// Every answer is checked per device against its PEC; a failed read is repeated (bounded) and devices whose
    /// data never arrived intact have their cells/temperatures marked invalid. Allocation-free after construction.
    /// </para>
    /// </summary>
    public sealed class Ltc681x : ICellMonitor, IStepwiseOpenWireCheck, IDisposable
    {
        /// <summary>isoSPI core wake-up time from SLEEP, per device (datasheet tWAKE max).</summary>
        public const int WakeFromSleep_us = 400;

        /// <summary>isoSPI port wake-up time from IDLE, per device (datasheet tREADY max).</summary>
        public const int WakeFromIdle_us = 10;

        /// <summary>Reference power-up time after REFON is set (datasheet tREFUP max).</summary>
        public const int ReferencePowerUp_us = 4400;

        /// <summary>Port activity gap after which the driver wakes the isoSPI ports again (tIDLE min 4.3 ms, less margin).</summary>
        public const long IdleGuard_us = 4000;

        /// <summary>Command gap after which the driver assumes the watchdog put the cores to sleep (tSLEEP min 1.8 s, less margin).</summary>
        public const long SleepGuard_us = 1500000;

        /// <summary>Open-wire criterion: PU − PD of cell n+1 below this (100 µV units, −400 mV) means wire n is open.</summary>
        public const int OpenWireDelta_code = -4000;

        /// <summary>A cell code that is not a conversion result (after reset or CLRCELL).</summary>
        public const int InvalidCode = 0xFFFF;

        private const int NominalReference_code = 30000;
        private const int ReferenceLow_code = 29000;
        private const int ReferenceHigh_code = 31000;
        private const int MaxInputs = 18;
        private const int MaxAuxWords = 12;

        private readonly ISpiDevice _spi;
        private readonly IDelay _delay;
        private readonly IMonotonicClock _clock;
        private readonly Ltc681xVariant _variant;
        private readonly int _devices;
        private readonly int _inputs;
        private readonly bool _hasConfigB;
        private readonly int[] _cellsUsed;
        private readonly int[] _cellOffset;
        private readonly int _cellCount;
        private readonly int _cellGroupsToRead;
        private readonly int[] _thermistorGpio;
        private readonly int _auxGroupMask;
        private readonly int _maxRetries;
        private readonly int _vuv;
        private readonly int _vov;
        private readonly int _dcto;
        private readonly CellMonitorStatistics _statistics = new CellMonitorStatistics();
        private readonly Ntc _thermistor;
        private readonly int _pullUp_ohm;

        private readonly byte[] _tx;
        private readonly byte[] _rx;
        private readonly int _frame;                // command + 8 bytes per device
        private readonly byte[] _groupData;         // configuration and aux reads, wire layout (device d at 4 + 8·d)
        private readonly byte[][] _cellGroupData;   // one answer buffer per cell group, wire layout
        private readonly bool[] _cellGroupOk;       // [group × devices + device]: that block passed its PEC
        private readonly bool[] _deviceOk;
        private readonly bool[] _deviceSilent;
        private readonly byte[] _configA;
        private readonly byte[] _configB;
        private readonly int[] _dischargeMask;
        private readonly byte[][] _openWireGroupData;   // the open-wire check's own buffers: RawCellCode stays the scan's
        private readonly bool[] _openWireGroupOk;
        private readonly int[] _pullUpCodes;
        private readonly int[] _pullDownCodes;
        private readonly int[] _auxCodes;
        private readonly bool[] _deviceReset;
        private readonly int[] _invalidCodes;       // InvalidCode everywhere: copied over a code array to clear it
        private readonly int[] _thermistorAuxWord;  // aux word (group × 3 + word) of each thermistor rank
        private readonly int[] _temperatureHint;    // per channel: the Ntc table segment of the last conversion
        private readonly int _cellConversionWait_us;
        private readonly int _temperatureScanInterval;
        private readonly int[] _heldTemperature_dC;    // the last conversion's temperatures and their validity
        private readonly bool[] _heldTemperatureValid;
        private int _scansSinceTemperatures;           // 0: this scan converts the thermistors
        private readonly int _scanCycle;               // scans per thermistor conversion (1 without thermistors)
        private int _cycleBusBytes;                    // bus bytes of the scans of the cycle so far
        private bool _heldAllValid;                    // every channel of the last conversion was valid
        private readonly bool[] _allCellsValid;        // true everywhere: copied over the readings' flags
        private int _cellGroupsMissing;
        private int _temperaturesInvalid;              // channels the last conversion could not read                // device blocks of used cells this scan's cell reads missed
        private readonly int _auxConversionWait_us;

        // The PEC of a command never changes, so every command the driver sends is built once here: read frames
        // (CMD0 CMD1 PEC0 PEC1, then 0xFF to clock the answers out) and data-less commands are sent as they are,
        // the configuration writes start from their wire word (CMD0 in the top byte).
        private readonly byte[] _rdcfgaFrame;
        private readonly byte[] _rdcfgbFrame;
        private readonly byte[][] _cellGroupFrames = new byte[6][];
        private readonly byte[][] _auxGroupFrames = new byte[4][];
        private readonly byte[] _clrcellCommand;
        private readonly byte[] _clrauxCommand;
        private readonly byte[] _adcvCommand;
        private readonly byte[] _adaxCommand;
        private readonly byte[] _adowPullUpCommand;
        private readonly byte[] _adowPullDownCommand;
        private readonly int _wrcfgaWord;
        private readonly int _wrcfgbWord;

        private long _lastActivity_us;
        private long _lastCommand_us;
        private bool _awake;
        private bool _openWireLatched;
        private bool _pullUpRead;          // BeginOpenWireCheck ran and no finish since
        private bool _pullUpComplete;
        private int _scanFaults;
        private bool _configDrift;
        private long _balancingSetAt_us;

        /// <summary>Creates the driver and all its buffers. Nothing is sent until <see cref="Initialize"/>.</summary>
        /// <param name="spi">The SPI device of the LTC6820 (one chip-select frame per call).</param>
        /// <param name="delay">Waits for wake-up and conversion times.</param>
        /// <param name="clock">Tells the driver how long the chain has been quiet (isoSPI idle / watchdog sleep).</param>
        /// <param name="configuration">Chain description; copied.</param>
        public Ltc681x(ISpiDevice spi, IDelay delay, IMonotonicClock clock, Ltc681xConfiguration configuration)
        {
            if (spi == null || delay == null || clock == null || configuration == null)
            {
                throw new ArgumentNullException();
            }
            _spi = spi;
            _delay = delay;
            _clock = clock;
            _variant = configuration.Variant;
            _devices = configuration.DeviceCount;
            _inputs = Ltc681xVariantInfo.CellInputs(_variant);
            _hasConfigB = Ltc681xVariantInfo.HasConfigurationB(_variant);
            _maxRetries = configuration.MaxRetries < 0 ? 0 : configuration.MaxRetries;
            if (configuration.DischargeTimeoutCode < 0 || configuration.DischargeTimeoutCode > 15)
            {
                throw new ArgumentException("DischargeTimeoutCode must be 0..15");
            }
            _dcto = configuration.DischargeTimeoutCode;
            if (configuration.UnderVoltageThreshold_mV >= configuration.OverVoltageThreshold_mV)
            {
                throw new ArgumentException("UnderVoltageThreshold_mV must be below OverVoltageThreshold_mV");
            }
            _vuv = Ltc681xCommands.EncodeUnderVoltage(configuration.UnderVoltageThreshold_mV);
            _vov = Ltc681xCommands.EncodeOverVoltage(configuration.OverVoltageThreshold_mV);

            _cellsUsed = new int[_devices];
            _cellOffset = new int[_devices];
            int maxUsed = 0;
            for (int d = 0; d < _devices; d++)
            {
                int used = configuration.CellsPerDevice[d];
                if (used < 1 || used > _inputs)
                {
                    throw new ArgumentException("CellsPerDevice entries must be 1..cell inputs of the variant");
                }
                _cellsUsed[d] = used;
                _cellOffset[d] = _cellCount;
                _cellCount += used;
                if (used > maxUsed)
                {
                    maxUsed = used;
                }
            }
            _cellGroupsToRead = (maxUsed + 2) / 3;

            int gpioMask = configuration.ThermistorGpioMask;
            int gpios = Ltc681xVariantInfo.GpioCount(_variant);
            if (gpioMask < 0 || (gpioMask >> gpios) != 0)
            {
                throw new ArgumentException("ThermistorGpioMask names a GPIO the variant does not have");
            }
            int thermistors = 0;
            for (int g = 0; g < gpios; g++)
            {
                if ((gpioMask & (1 << g)) != 0)
                {
                    thermistors++;
                }
            }
            _thermistorGpio = new int[thermistors];
            int t = 0;
            for (int g = 0; g < gpios; g++)
            {
                if ((gpioMask & (1 << g)) != 0)
                {
                    _thermistorGpio[t++] = g + 1;
                    int word;
                    _auxGroupMask |= 1 << Ltc681xVariantInfo.AuxGroupOfGpio(g + 1, out word);
                }
            }

            _thermistor = new Ntc(configuration.ThermistorNominal_ohm, configuration.ThermistorBeta_K);
            if (configuration.ThermistorPullUp_ohm <= 0)
            {
                throw new ArgumentException("ThermistorPullUp_ohm must be positive");
            }
            _pullUp_ohm = configuration.ThermistorPullUp_ohm;

            int frame = 4 + 8 * _devices;
            _tx = new byte[frame];
            _rx = new byte[frame];
            _frame = frame;
            _groupData = new byte[frame];
            _cellGroupData = new byte[6][];
            for (int g = 0; g < 6; g++)
            {
                _cellGroupData[g] = new byte[frame];
            }
            _cellGroupOk = new bool[6 * _devices];
            _deviceOk = new bool[_devices];
            _deviceSilent = new bool[_devices];
            _deviceReset = new bool[_devices];
            _configA = new byte[6 * _devices];
            _configB = new byte[6 * _devices];
            _dischargeMask = new int[_devices];
            _openWireGroupData = new byte[6][];
            for (int g = 0; g < 6; g++)
            {
                _openWireGroupData[g] = new byte[frame];
            }
            _openWireGroupOk = new bool[6 * _devices];
            _pullUpCodes = new int[MaxInputs * _devices];
            _pullDownCodes = new int[MaxInputs * _devices];
            _auxCodes = new int[MaxAuxWords * _devices];
            _invalidCodes = new int[MaxInputs * _devices];
            for (int i = 0; i < _invalidCodes.Length; i++)
            {
                _invalidCodes[i] = InvalidCode;
            }
            _thermistorAuxWord = new int[thermistors];
            for (int i = 0; i < thermistors; i++)
            {
                int word;
                int group = Ltc681xVariantInfo.AuxGroupOfGpio(_thermistorGpio[i], out word);
                _thermistorAuxWord[i] = group * 3 + word;
            }
            _temperatureHint = new int[thermistors * _devices];
            if (configuration.TemperatureScanInterval < 1 || configuration.TemperatureScanInterval > 10)
            {
                throw new ArgumentException("TemperatureScanInterval must be 1..10");
            }
            _temperatureScanInterval = configuration.TemperatureScanInterval;
            _heldTemperature_dC = new int[thermistors * _devices];
            _heldTemperatureValid = new bool[thermistors * _devices];
            _scanCycle = thermistors > 0 ? _temperatureScanInterval : 1;
            _allCellsValid = new bool[_cellCount];
            for (int i = 0; i < _cellCount; i++)
            {
                _allCellsValid[i] = true;
            }
            _cellConversionWait_us = Ltc681xVariantInfo.CellConversionWait_us(_variant);
            _auxConversionWait_us = Ltc681xVariantInfo.AuxConversionWait_us(_variant);
            _rdcfgaFrame = ReadFrame(Ltc681xCommands.RDCFGA, frame);
            _rdcfgbFrame = ReadFrame(Ltc681xCommands.RDCFGB, frame);
            _clrcellCommand = ReadFrame(Ltc681xCommands.CLRCELL, 4);
            _clrauxCommand = ReadFrame(Ltc681xCommands.CLRAUX, 4);
            _adcvCommand = ReadFrame(Ltc681xCommands.Adcv(Ltc681xCommands.ModeNormal, false, Ltc681xCommands.AllChannels), 4);
            _adaxCommand = ReadFrame(Ltc681xCommands.Adax(Ltc681xCommands.ModeNormal, Ltc681xCommands.AllChannels), 4);
            _adowPullUpCommand = ReadFrame(Ltc681xCommands.Adow(Ltc681xCommands.ModeNormal, true, false, Ltc681xCommands.AllChannels), 4);
            _adowPullDownCommand = ReadFrame(Ltc681xCommands.Adow(Ltc681xCommands.ModeNormal, false, false, Ltc681xCommands.AllChannels), 4);
            _wrcfgaWord = CommandWord(Ltc681xCommands.WRCFGA);
            _wrcfgbWord = CommandWord(Ltc681xCommands.WRCFGB);
            for (int g = 0; g < _cellGroupFrames.Length; g++)
            {
                _cellGroupFrames[g] = ReadFrame(Ltc681xCommands.ReadCellGroup(g), frame);
            }
            for (int g = 0; g < _auxGroupFrames.Length; g++)
            {
                _auxGroupFrames[g] = ReadFrame(Ltc681xCommands.ReadAuxGroup(g), frame);
            }
            BuildConfiguration();
        }

        /// <inheritdoc />
        public int CellCount { get { return _cellCount; } }

        /// <inheritdoc />
        public int TemperatureCount { get { return _thermistorGpio.Length * _devices; } }

        /// <summary>Thermistors per device; temperature channel = device × this + rank of the GPIO in the mask.</summary>
        public int ThermistorsPerDevice { get { return _thermistorGpio.Length; } }

        /// <inheritdoc />
        public bool HasCurrentSense { get { return false; } }

        /// <inheritdoc />
        public bool HasFetControl { get { return false; } }

        /// <inheritdoc />
        public CellMonitorStatistics Statistics { get { return _statistics; } }

        /// <summary>Devices in the chain.</summary>
        public int DeviceCount { get { return _devices; } }

        /// <summary>Raw 16-bit cell code (100 µV LSB, 0xFFFF = none) of the last read, device-local input 0-based.</summary>
        public int RawCellCode(int device, int input)
        {
            // Decoded on request from the scan's group buffers (the scan itself needs only the voltages).
            int group = input / 3;
            if (group >= _cellGroupsToRead || !_cellGroupOk[group * _devices + device])
            {
                return InvalidCode;
            }
            int o = 4 + 8 * device + 2 * (input - group * 3);
            byte[] data = _cellGroupData[group];
            return data[o] | (data[o + 1] << 8);
        }

        /// <summary>
        /// Converts a cell code to millivolts, rounding half up (code 37004 → 3700 mV, 37005 → 3701 mV).
        /// The caller must have rejected <see cref="InvalidCode"/>.
        /// </summary>
        public static int CodeToMillivolts(int code)
        {
            return (code + 5) / 10;
        }

        /// <inheritdoc />
        public bool Initialize()
        {
            _awake = false;
            _openWireLatched = false;
            // A (re)initialised chain has no conversion worth repeating: the next scan converts the thermistors.
            _scansSinceTemperatures = 0;
            _cycleBusBytes = 0;
            bool written = WriteConfiguration();
            _delay.Wait_us(ReferencePowerUp_us);
            int resets = VerifyConfiguration(false);
            return written && resets == 0 && AllOk();
        }

        /// <inheritdoc />
        public bool Measure(CellMonitorReadings readings)
        {
            if (readings == null || readings.CellVoltage_mV.Length < _cellCount || readings.Temperature_dC.Length < TemperatureCount)
            {
                throw new ArgumentException("readings too small for this chain");
            }
            long startBytes = _statistics.BusBytes;
            readings.InvalidateAll();
            _scanFaults = 0;

            int resets = VerifyConfiguration(true);
            if (resets > 0 || _configDrift)
            {
                if (resets > 0)
                {
                    _statistics.ResetsDetected += resets;
                    _scanFaults |= CellMonitorFaults.DeviceReset;
                }
                ForgetExpiredBalancing();
                WriteConfiguration();
                _delay.Wait_us(ReferencePowerUp_us);
                if (VerifyConfiguration(false) != 0)
                {
                    _scanFaults |= CellMonitorFaults.DeviceFault;
                }
            }

            bool complete = MeasureCells(readings);

            if (_thermistorGpio.Length > 0)
            {
                if (_scansSinceTemperatures == 0)
                {
                    complete &= MeasureTemperatures(readings);
                    if (_temperatureScanInterval > 1)
                    {
                        int channels = _heldTemperature_dC.Length;
                        Array.Copy(readings.Temperature_dC, _heldTemperature_dC, channels);
                        Array.Copy(readings.TemperatureValid, _heldTemperatureValid, channels);
                        _heldAllValid = _temperaturesInvalid == 0;
                    }
                }
                else
                {
                    complete &= RepeatTemperatures(readings);
                }
                if (++_scansSinceTemperatures >= _temperatureScanInterval)
                {
                    _scansSinceTemperatures = 0;
                }
            }

            if (_openWireLatched)
            {
                _scanFaults |= CellMonitorFaults.OpenWire;
            }
            readings.Faults = _scanFaults;
            int scanBytes = (int)(_statistics.BusBytes - startBytes);
            if (_scanCycle == 1)
            {
                _statistics.LastScanBusBytes = scanBytes;
            }
            else
            {
                // Scans differ (one of the cycle converts the thermistors): the mean of the cycle is the honest
                // figure per scan, reported once the cycle is complete.
                _cycleBusBytes += scanBytes;
                if (_scansSinceTemperatures == 0)
                {
                    _statistics.LastScanBusBytes = _cycleBusBytes / _scanCycle;
                    _cycleBusBytes = 0;
                }
            }
            return complete && (_scanFaults & (CellMonitorFaults.CommunicationError | CellMonitorFaults.DeviceMissing)) == 0;
        }

        /// <inheritdoc />
        public bool ReadCurrent(CellMonitorReadings readings)
        {
            return false;
        }

        /// <inheritdoc />
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn)
        {
            return false;
        }

        /// <summary>
        /// Switches the discharge resistors (DCC bits) of the given cells on and all others off, with the
        /// configured discharge timeout (DCTO) so that the chips stop on their own if the firmware stops
        /// refreshing. Conversions use DCP = 0, so the chip pauses discharge while it measures. Verified by
        /// reading the configuration back. Entries past <see cref="CellCount"/> are cleared.
        /// </summary>
        public bool SetBalancing(bool[] cellsToDischarge)
        {
            if (cellsToDischarge == null || cellsToDischarge.Length < _cellCount)
            {
                throw new ArgumentException("cellsToDischarge must have CellCount entries");
            }
            for (int i = _cellCount; i < cellsToDischarge.Length; i++)
            {
                cellsToDischarge[i] = false;
            }
            for (int d = 0; d < _devices; d++)
            {
                int mask = 0;
                for (int c = 0; c < _cellsUsed[d]; c++)
                {
                    if (cellsToDischarge[_cellOffset[d] + c])
                    {
                        mask |= 1 << c;
                    }
                }
                _dischargeMask[d] = mask;
            }
            BuildConfiguration();
            _balancingSetAt_us = _clock.Now_us;
            bool written = WriteConfiguration();
            int resets = VerifyConfiguration(false);
            return written && resets == 0 && AllOk();
        }

        /// <summary>
        /// A chip that reset lost its DCC bits; restoring them is right only while the discharge timeout of
        /// the last <see cref="SetBalancing"/> has not run out (after that the chip would have stopped anyway).
        /// </summary>
        private void ForgetExpiredBalancing()
        {
            if (_dcto == 0)
            {
                return;
            }
            long timeout_us = (long)Ltc681xCommands.DischargeTimeout_s(_dcto) * 1000000;
            if (_clock.Now_us - _balancingSetAt_us >= timeout_us)
            {
                for (int d = 0; d < _devices; d++)
                {
                    _dischargeMask[d] = 0;
                }
                BuildConfiguration();
            }
        }

        /// <summary>The DCC mask (bit 0 = C1) the driver last asked device <paramref name="device"/> for.</summary>
        public int DischargeMask(int device)
        {
            return _dischargeMask[device];
        }

        /// <summary>
        /// Open sense-wire test per the datasheet: ADOW with pull-up current twice, read all cells (PU); ADOW
        /// with pull-down current twice, read again (PD). Per device with n used cells: wire 0 is open when
        /// PU(C1) = 0; wire k (1..n−1) when PU(k+1) − PD(k+1) &lt; −400 mV; wire n when PD(n) = 0. A wire shared
        /// by two devices (top of one, bottom of the next) is reported open if either side sees it.
        /// false if any device could not be read (then the result is incomplete).
        /// </summary>
        public bool CheckOpenWires(bool[] openWire)
        {
            CheckOpenWireArray(openWire);
            BeginOpenWireCheck();
            return FinishOpenWireCheck(openWire);
        }

        /// <inheritdoc />
        public bool BeginOpenWireCheck()
        {
            _pullUpComplete = ConvertAndReadCodes(_adowPullUpCommand, 2, _pullUpCodes);
            _pullUpRead = true;
            return _pullUpComplete;
        }

        /// <inheritdoc />
        public bool FinishOpenWireCheck(bool[] openWire)
        {
            CheckOpenWireArray(openWire);
            for (int i = 0; i < openWire.Length; i++)
            {
                openWire[i] = false;
            }
            if (!_pullUpRead)
            {
                return false;
            }
            _pullUpRead = false;
            bool complete = _pullUpComplete;
            complete &= ConvertAndReadCodes(_adowPullDownCommand, 2, _pullDownCodes);

            bool anyOpen = false;
            for (int d = 0; d < _devices; d++)
            {
                int n = _cellsUsed[d];
                int b = d * MaxInputs;
                bool deviceComplete = true;
                for (int c = 0; c < n; c++)
                {
                    if (_pullUpCodes[b + c] == InvalidCode || _pullDownCodes[b + c] == InvalidCode)
                    {
                        deviceComplete = false;
                    }
                }
                if (!deviceComplete)
                {
                    complete = false;
                    continue;
                }
                int wire0 = _cellOffset[d];
                if (_pullUpCodes[b] == 0)
                {
                    openWire[wire0] = true;
                }
                for (int k = 1; k < n; k++)
                {
                    if (_pullUpCodes[b + k] - _pullDownCodes[b + k] < OpenWireDelta_code)
                    {
                        openWire[wire0 + k] = true;
                    }
                }
                if (_pullDownCodes[b + n - 1] == 0)
                {
                    openWire[wire0 + n] = true;
                }
            }
            for (int i = 0; i <= _cellCount; i++)
            {
                anyOpen |= openWire[i];
            }
            _openWireLatched = anyOpen;
            return complete;
        }

        private void CheckOpenWireArray(bool[] openWire)
        {
            if (openWire == null || openWire.Length < _cellCount + 1)
            {
                throw new ArgumentException("openWire must have CellCount + 1 entries");
            }
        }

        /// <summary>Nothing to release: the SPI device belongs to the caller.</summary>
        public void Dispose()
        {
        }

        // ---- scan steps -------------------------------------------------------------------------------

        /// <summary>
        /// CLRCELL, then <paramref name="repetitions"/> × (conversion command + wait), then reads every cell group
        /// into <paramref name="groupData"/> / <paramref name="groupOk"/> (one buffer per group). false when a group
        /// could not be read.
        /// </summary>
        private bool ConvertAndReadCellGroups(byte[] conversionCommand, int repetitions, byte[][] groupData, bool[] groupOk)
        {
            bool complete = SendCommand(_clrcellCommand);
            for (int r = 0; r < repetitions; r++)
            {
                complete &= SendCommand(conversionCommand);
                _delay.Wait_us(_cellConversionWait_us);
            }
            int devices = _devices;
            for (int g = 0; g < _cellGroupsToRead; g++)
            {
                complete &= ReadGroup(_cellGroupFrames[g], groupData[g], groupOk, g * devices);
            }
            return complete;
        }

        /// <summary>
        /// The scan's cells: converted and read (<see cref="ConvertAndReadCellGroups"/>), then decoded device by
        /// device, cells in rising order, into the readings' voltages with the cell summary in the same pass (strict
        /// comparisons then give the first cell at an extreme). The raw codes stay in the group buffers
        /// (<see cref="RawCellCode"/>). false when a group or a used cell's code could not be read.
        /// </summary>
        private bool MeasureCells(CellMonitorReadings readings)
        {
            bool complete = ConvertAndReadCellGroups(_adcvCommand, 1, _cellGroupData, _cellGroupOk);
            int devices = _devices;
            int groups = _cellGroupsToRead;
            byte[][] groupData = _cellGroupData;
            bool[] groupOk = _cellGroupOk;
            int[] cellsUsed = _cellsUsed;
            int[] cellOffset = _cellOffset;
            int[] voltages = readings.CellVoltage_mV;
            bool[] cellValid = readings.CellValid;
            // Every cell valid unless found otherwise below (one block copy instead of a flag per cell).
            Array.Copy(_allCellsValid, cellValid, _cellCount);
            int invalid = 0;
            int missing = 0;
            // int: 6,554 mV at most per cell (code 65,534), far below int.MaxValue for any chain.
            int sum = 0;
            int highest = int.MinValue;
            int lowest = int.MaxValue;
            int highestIndex = -1;
            int lowestIndex = -1;
            int o = 4;
            for (int d = 0; d < devices; d++, o += 8)
            {
                int inGroup = cellsUsed[d];
                int cell = cellOffset[d];
                int okIndex = d;
                for (int g = 0; g < groups && inGroup > 0; g++, cell += 3, inGroup -= 3, okIndex += devices)
                {
                    if (!groupOk[okIndex])
                    {
                        int lost = inGroup > 3 ? 3 : inGroup;
                        Array.Clear(cellValid, cell, lost);
                        invalid += lost;
                        missing++;
                        continue;
                    }
                    // Cell voltages of the used inputs (CodeToMillivolts); an unconverted one reads InvalidCode.
                    byte[] data = groupData[g];
                    int code = data[o] | (data[o + 1] << 8);
                    if (code != InvalidCode)
                    {
                        int v = (code + 5) / 10;
                        voltages[cell] = v;
                        sum += v;
                        if (v > highest)
                        {
                            highest = v;
                            highestIndex = cell;
                        }
                        if (v < lowest)
                        {
                            lowest = v;
                            lowestIndex = cell;
                        }
                    }
                    else
                    {
                        cellValid[cell] = false;
                        invalid++;
                    }
                    if (inGroup > 1)
                    {
                        code = data[o + 2] | (data[o + 3] << 8);
                        if (code != InvalidCode)
                        {
                            int v = (code + 5) / 10;
                            voltages[cell + 1] = v;
                            sum += v;
                            if (v > highest)
                            {
                                highest = v;
                                highestIndex = cell + 1;
                            }
                            if (v < lowest)
                            {
                                lowest = v;
                                lowestIndex = cell + 1;
                            }
                        }
                        else
                        {
                            cellValid[cell + 1] = false;
                            invalid++;
                        }
                    }
                    if (inGroup > 2)
                    {
                        code = data[o + 4] | (data[o + 5] << 8);
                        if (code != InvalidCode)
                        {
                            int v = (code + 5) / 10;
                            voltages[cell + 2] = v;
                            sum += v;
                            if (v > highest)
                            {
                                highest = v;
                                highestIndex = cell + 2;
                            }
                            if (v < lowest)
                            {
                                lowest = v;
                                lowestIndex = cell + 2;
                            }
                        }
                        else
                        {
                            cellValid[cell + 2] = false;
                            invalid++;
                        }
                    }
                }
            }
            _cellGroupsMissing = missing;
            readings.ValidCellCount = _cellCount - invalid;
            readings.ValidCellSum_mV = sum;
            readings.HighestCell_mV = highest;
            readings.HighestCellIndex = highestIndex;
            readings.LowestCell_mV = lowest;
            readings.LowestCellIndex = lowestIndex;
            readings.CellSummaryKnown = true;
            return complete && invalid == 0;
        }

        /// <summary>
        /// Converts with <paramref name="conversionCommand"/> (an open-wire ADOW) and decodes every input's code into
        /// <paramref name="codes"/> (InvalidCode where a device's block could not be read). false when incomplete.
        /// </summary>
        private bool ConvertAndReadCodes(byte[] conversionCommand, int repetitions, int[] codes)
        {
            Array.Copy(_invalidCodes, codes, codes.Length);
            bool complete = ConvertAndReadCellGroups(conversionCommand, repetitions, _openWireGroupData, _openWireGroupOk);
            int devices = _devices;
            for (int g = 0; g < _cellGroupsToRead; g++)
            {
                byte[] data = _openWireGroupData[g];
                int o = 4;
                int c = g * 3;
                for (int d = 0; d < devices; d++, o += 8, c += MaxInputs)
                {
                    if (_openWireGroupOk[g * devices + d])
                    {
                        codes[c] = data[o] | (data[o + 1] << 8);
                        codes[c + 1] = data[o + 2] | (data[o + 3] << 8);
                        codes[c + 2] = data[o + 4] | (data[o + 5] << 8);
                    }
                }
            }
            return complete;
        }

        private bool MeasureTemperatures(CellMonitorReadings readings)
        {
            int[] auxCodes = _auxCodes;
            Array.Copy(_invalidCodes, auxCodes, auxCodes.Length);
            bool complete = SendCommand(_clrauxCommand);
            complete &= SendCommand(_adaxCommand);
            _delay.Wait_us(_auxConversionWait_us);
            byte[] groupData = _groupData;
            bool[] deviceOk = _deviceOk;
            for (int g = 0; g < 4; g++)
            {
                if ((_auxGroupMask & (1 << g)) == 0)
                {
                    continue;
                }
                complete &= ReadGroup(_auxGroupFrames[g], groupData, deviceOk, 0);
                int c = g * 3;
                for (int d = 0; d < _devices; d++)
                {
                    if (deviceOk[d])
                    {
                        int o = 4 + 8 * d;
                        auxCodes[c] = groupData[o] | (groupData[o + 1] << 8);
                        auxCodes[c + 1] = groupData[o + 2] | (groupData[o + 3] << 8);
                        auxCodes[c + 2] = groupData[o + 4] | (groupData[o + 5] << 8);
                    }
                    c += MaxAuxWords;
                }
            }

            int perDevice = _thermistorGpio.Length;
            int[] auxWord = _thermistorAuxWord;
            int[] hint = _temperatureHint;
            int[] temperatures = readings.Temperature_dC;
            bool[] temperatureValid = readings.TemperatureValid;
            int channel = 0;
            int invalidChannels = 0;
            for (int d = 0; d < _devices; d++)
            {
                int deviceBase = d * MaxAuxWords;
                // The divider is fed from VREF2: use its measured value when group B was read anyway.
                int reference = auxCodes[deviceBase + 5];
                if (reference != InvalidCode && (reference < ReferenceLow_code || reference > ReferenceHigh_code))
                {
                    // VREF2 far from 3 V: the chip's reference or ADC is broken, a datasheet diagnostic.
                    _scanFaults |= CellMonitorFaults.DeviceFault;
                }
                if (reference == InvalidCode || reference < ReferenceLow_code || reference > ReferenceHigh_code)
                {
                    reference = NominalReference_code;
                }
                for (int t = 0; t < perDevice; t++)
                {
                    int code = auxCodes[deviceBase + auxWord[t]];
                    int temperature_dC;
                    // Ratio of the node to VREF2, so reference drift cancels; open/shorted sensors are refused.
                    if (code != InvalidCode && _thermistor.TryGetTemperatureFromDivider(code, reference, _pullUp_ohm, ref hint[channel], out temperature_dC))
                    {
                        temperatures[channel] = temperature_dC;
                        temperatureValid[channel] = true;
                    }
                    else
                    {
                        complete = false;
                        invalidChannels++;
                    }
                    channel++;
                }
            }
            _temperaturesInvalid = invalidChannels;
            return complete;
        }

        /// <summary>
        /// A scan between thermistor conversions: the last conversion's temperatures again, but only for devices
        /// whose every cell group answered in this scan (a device that stopped answering has no temperatures);
        /// false when a channel is invalid.
        /// </summary>
        private bool RepeatTemperatures(CellMonitorReadings readings)
        {
            int channels = _heldTemperature_dC.Length;
            Array.Copy(_heldTemperature_dC, readings.Temperature_dC, channels);
            readings.TemperaturesHeld = true;
            if (_cellGroupsMissing == 0)
            {
                // Every device answered every cell group of this scan.
                Array.Copy(_heldTemperatureValid, readings.TemperatureValid, channels);
                return _heldAllValid;
            }
            int perDevice = _thermistorGpio.Length;
            int devices = _devices;
            int groups = _cellGroupsToRead;
            bool[] groupOk = _cellGroupOk;
            bool[] heldValid = _heldTemperatureValid;
            bool[] temperatureValid = readings.TemperatureValid;
            int channel = 0;
            for (int d = 0; d < devices; d++, channel += perDevice)
            {
                bool answered = true;
                for (int k = d; k < groups * devices; k += devices)
                {
                    answered &= groupOk[k];
                }
                if (answered)
                {
                    Array.Copy(heldValid, channel, temperatureValid, channel, perDevice);
                }
            }
            // Some device did not answer: at least its channels are invalid.
            return false;
        }

        // ---- configuration ----------------------------------------------------------------------------

        private void BuildConfiguration()
        {
            for (int d = 0; d < _devices; d++)
            {
                int a = d * 6;
                int dcc = _dischargeMask[d];
                // GPIO pull-downs off on every pin (they are analog inputs), reference kept on, ADCOPT = 0.
                _configA[a] = 0xF8 | 0x04;
                _configA[a + 1] = (byte)_vuv;
                _configA[a + 2] = (byte)(((_vov & 0x0F) << 4) | ((_vuv >> 8) & 0x0F));
                _configA[a + 3] = (byte)(_vov >> 4);
                _configA[a + 4] = (byte)dcc;
                _configA[a + 5] = (byte)((_dcto << 4) | ((dcc >> 8) & 0x0F));
                if (_hasConfigB)
                {
                    _configB[a] = (byte)((((dcc >> 12) & 0x0F) << 4) | 0x0F);
                    _configB[a + 1] = (byte)((dcc >> 16) & 0x03);
                    _configB[a + 2] = 0;
                    _configB[a + 3] = 0;
                    _configB[a + 4] = 0;
                    _configB[a + 5] = 0;
                }
            }
        }

        private bool WriteConfiguration()
        {
            bool ok = WriteGroup(_wrcfgaWord, _configA);
            if (_hasConfigB)
            {
                ok &= WriteGroup(_wrcfgbWord, _configB);
            }
            return ok;
        }

        /// <summary>
        /// Reads configuration group A (and B for the DCC bits of cells 13–18) and compares it with what was
        /// written. Returns the number of devices that lost REFON/ADCOPT/VUV/VOV (a reset or watchdog timeout).
        /// Devices that kept those but lost their DCC bits had their discharge timer expire: the driver adopts
        /// that (balancing stays off until the next <see cref="SetBalancing"/>).
        /// </summary>
        private int VerifyConfiguration(bool adoptExpiredDischarge)
        {
            int resets = 0;
            _configDrift = false;
            byte[] data = _groupData;
            byte[] configA = _configA;
            bool[] deviceOk = _deviceOk;
            // Every device ok so far exactly when the read brought every block; a device failing a check below
            // clears it.
            bool allA = ReadGroup(_rdcfgaFrame, data, deviceOk, 0);
            for (int d = 0; d < _devices; d++)
            {
                _deviceReset[d] = false;
                if (!deviceOk[d])
                {
                    continue;
                }
                int a = d * 6;
                int o = 4 + 8 * d;
                bool lost = (data[o] & 0x05) != (configA[a] & 0x05)
                    || data[o + 1] != configA[a + 1]
                    || data[o + 2] != configA[a + 2]
                    || data[o + 3] != configA[a + 3];
                if (lost)
                {
                    _deviceReset[d] = true;
                    resets++;
                    continue;
                }
                int dccLow = data[o + 4] | ((data[o + 5] & 0x0F) << 8);
                if (dccLow != (_dischargeMask[d] & 0xFFF))
                {
                    if (adoptExpiredDischarge && dccLow == 0)
                    {
                        _dischargeMask[d] = 0;
                        _configA[a + 4] = 0;
                        _configA[a + 5] = (byte)(_configA[a + 5] & 0xF0);
                        if (_hasConfigB)
                        {
                            _configB[a] = (byte)(_configB[a] & 0x0F);
                            _configB[a + 1] = 0;
                        }
                    }
                    else if (adoptExpiredDischarge)
                    {
                        // The chip holds other DCC bits than asked for (a lost write): not a reset, but re-written.
                        _configDrift = true;
                    }
                    else
                    {
                        deviceOk[d] = false;
                        allA = false;
                    }
                }
            }
            if (_hasConfigB && !adoptExpiredDischarge && UsesConfigurationBCells())
            {
                ReadGroup(_rdcfgbFrame, _groupData, _deviceOk, 0);
                for (int d = 0; d < _devices; d++)
                {
                    if (!_deviceOk[d] || _deviceReset[d])
                    {
                        continue;
                    }
                    int o = 4 + 8 * d;
                    int high = ((_groupData[o] >> 4) & 0x0F) | ((_groupData[o + 1] & 0x03) << 4);
                    if (high != ((_dischargeMask[d] >> 12) & 0x3F))
                    {
                        _deviceOk[d] = false;
                    }
                }
                allA &= AllOk();
            }
            if (!allA)
            {
                _scanFaults |= CellMonitorFaults.CommunicationError;
            }
            return resets;
        }

        private bool UsesConfigurationBCells()
        {
            for (int d = 0; d < _devices; d++)
            {
                if (_cellsUsed[d] > 12)
                {
                    return true;
                }
            }
            return false;
        }

        // ---- bus layer --------------------------------------------------------------------------------

        private bool AllOk()
        {
            for (int d = 0; d < _devices; d++)
            {
                if (!_deviceOk[d])
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>
        /// Wakes what the clock says has gone quiet: after the watchdog time the cores sleep (a pulse, then
        /// tWAKE per device as the wake-up ripples up the chain); after the isoSPI idle time only the ports
        /// sleep (a pulse, then tREADY per device). One dummy byte is the pulse. The LTC6820 itself adds one
        /// tREADY.
        /// </summary>
        private void EnsureAwake(bool forceSleepWake)
        {
            long now = _clock.Now_us;
            if (!forceSleepWake && _awake && now - _lastCommand_us < SleepGuard_us)
            {
                if (now - _lastActivity_us >= IdleGuard_us)
                {
                    Pulse();
                    _delay.Wait_us((_devices + 1) * WakeFromIdle_us);
                    now = _clock.Now_us;
                }
                _lastActivity_us = now;
                return;
            }
            int remaining = _devices * WakeFromSleep_us + WakeFromIdle_us;
            while (remaining > 0)
            {
                // Keep pulsing so the ports of devices already awake do not idle out on long chains.
                int step = remaining > 3000 ? 3000 : remaining;
                Pulse();
                _delay.Wait_us(step);
                remaining -= step;
            }
            _awake = true;
            _lastActivity_us = _clock.Now_us;
            _lastCommand_us = _lastActivity_us;
        }

        private void Pulse()
        {
            _tx[0] = 0xFF;
            Transfer(_tx, _rx, 1);
        }

        /// <summary>
        /// <paramref name="length"/> bytes: <paramref name="command"/> with its PEC, then 0xFF (what clocks a read's
        /// answers out). Construction only (allocates).
        /// </summary>
        private static byte[] ReadFrame(int command, int length)
        {
            byte[] frame = new byte[length];
            Ltc681xCommands.Encode(command, frame, 0);
            for (int i = 4; i < length; i++)
            {
                frame[i] = 0xFF;
            }
            return frame;
        }

        /// <summary>The wire word (CMD0 CMD1 PEC0 PEC1, CMD0 in the top byte) of <paramref name="command"/>. Construction only (allocates).</summary>
        private static int CommandWord(int command)
        {
            byte[] bytes = new byte[4];
            Ltc681xCommands.Encode(command, bytes, 0);
            return (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
        }

        private static void PutCommand(byte[] buffer, int word)
        {
            buffer[0] = (byte)(word >> 24);
            buffer[1] = (byte)(word >> 16);
            buffer[2] = (byte)(word >> 8);
            buffer[3] = (byte)word;
        }

        /// <summary>
        /// One frame. The port activity time is the one EnsureAwake took just before (a transfer is a fraction of a
        /// millisecond): earlier than the true end, so the idle and sleep guards only ever wake sooner.
        /// </summary>
        private bool Transfer(byte[] tx, byte[] rx, int count)
        {
            CellMonitorStatistics statistics = _statistics;
            statistics.Transfers++;
            statistics.BusBytes += count;
            return _spi.TransferFullDuplex(tx, 0, rx, 0, count) == BusStatus.Ok;
        }

        /// <summary>A command without data (conversion start, clear). The chip gives no acknowledge; only a bus error is retried.</summary>
        private bool SendCommand(byte[] command)
        {
            for (int attempt = 0; attempt <= _maxRetries; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                EnsureAwake(false);
                if (Transfer(command, _rx, 4))
                {
                    _lastCommand_us = _lastActivity_us;
                    return true;
                }
            }
            _statistics.FailedTransfers++;
            _scanFaults |= CellMonitorFaults.CommunicationError;
            return false;
        }

        /// <summary>Broadcast write of 6 bytes per device; <paramref name="data"/> is indexed by device (device 0 = nearest).</summary>
        private bool WriteGroup(int commandWord, byte[] data)
        {
            int frame = 4 + 8 * _devices;
            for (int attempt = 0; attempt <= _maxRetries; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                EnsureAwake(false);
                PutCommand(_tx, commandWord);
                // The farthest device's data goes first: it has the longest way to shift.
                for (int k = 0; k < _devices; k++)
                {
                    int device = _devices - 1 - k;
                    int o = 4 + 8 * k;
                    for (int i = 0; i < 6; i++)
                    {
                        _tx[o + i] = data[device * 6 + i];
                    }
                    Pec15.Append(_tx, o, 6);
                }
                if (Transfer(_tx, _rx, frame))
                {
                    _lastCommand_us = _lastActivity_us;
                    return true;
                }
            }
            _statistics.FailedTransfers++;
            _scanFaults |= CellMonitorFaults.CommunicationError;
            return false;
        }

        /// <summary>
        /// Broadcast read of one register group into <paramref name="data"/> in wire layout (device d's 6 data
        /// bytes at 4 + 8·d, device 0 = nearest, whose block comes first); <paramref name="ok"/>[okBase + d] tells
        /// which devices' blocks passed their PEC. Each device's block is accepted on its own PEC; only devices still
        /// missing are taken from a repetition. true when every device answered.
        /// </summary>
        private bool ReadGroup(byte[] tx, byte[] data, bool[] ok, int okBase)
        {
            EnsureAwake(false);
            // The healthy first attempt lands where the caller decodes it: no copy.
            bool busOk = Transfer(tx, data, _frame);
            bool all = busOk;
            if (busOk)
            {
                ushort[] table = Pec15.Table;
                int end = okBase + _devices;
                int o = 4;
                for (int k = okBase; k < end; k++, o += 8)
                {
                    // Pec15.Check of the 6 data bytes, unrolled: this runs for every device of every group read.
                    // Bits above the 15 of the remainder never reach the index, so one mask at the end.
                    // First byte from the seed 0x10: (0x10 << 8) ^ table[((0x10 >> 7) ^ b) & 0xFF].
                    int r = 0x1000 ^ table[data[o]];
                    r = (r << 8) ^ table[((r >> 7) ^ data[o + 1]) & 0xFF];
                    r = (r << 8) ^ table[((r >> 7) ^ data[o + 2]) & 0xFF];
                    r = (r << 8) ^ table[((r >> 7) ^ data[o + 3]) & 0xFF];
                    r = (r << 8) ^ table[((r >> 7) ^ data[o + 4]) & 0xFF];
                    r = (r << 8) ^ table[((r >> 7) ^ data[o + 5]) & 0xFF];
                    r = (r & 0x7FFF) << 1;
                    bool good = data[o + 6] == (r >> 8) && data[o + 7] == (r & 0xFF);
                    ok[k] = good;
                    all &= good;
                }
                if (all)
                {
                    _lastCommand_us = _lastActivity_us;
                    return true;
                }
            }
            return ReadGroupRepeated(tx, data, ok, okBase, busOk);
        }

        /// <summary>
        /// The rest of <see cref="ReadGroup"/> after a first attempt that did not bring every device: that attempt's
        /// failures are counted, then missing devices are taken from repetitions (received into the scratch buffer,
        /// a device's block copied over once it passes its PEC).
        /// </summary>
        private bool ReadGroupRepeated(byte[] tx, byte[] data, bool[] ok, int okBase, bool busOk)
        {
            int devices = _devices;
            int frame = _frame;
            bool[] deviceSilent = _deviceSilent;
            Array.Clear(deviceSilent, 0, devices);
            byte[] rx = _rx;
            // The first attempt's answer is in data: after a bus error no device counts and nothing is counted,
            // otherwise each device's PEC verdict holds.
            if (!busOk)
            {
                Array.Clear(ok, okBase, devices);
            }
            else
            {
                for (int d = 0; d < devices; d++)
                {
                    if (ok[okBase + d])
                    {
                        _lastCommand_us = _lastActivity_us;
                        break;
                    }
                }
            }
            bool forceWake = CountFailures(data, ok, okBase, busOk);
            for (int attempt = 1; attempt <= _maxRetries; attempt++)
            {
                _statistics.Retries++;
                EnsureAwake(forceWake);
                busOk = Transfer(tx, rx, frame);
                bool anyAnswer = false;
                if (busOk)
                {
                    int o = 4;
                    for (int d = 0; d < devices; d++, o += 8)
                    {
                        if (!ok[okBase + d] && Pec15.Check(rx, o, 6))
                        {
                            Array.Copy(rx, o, data, o, 6);
                            ok[okBase + d] = true;
                            deviceSilent[d] = false;
                            anyAnswer = true;
                        }
                    }
                }
                if (anyAnswer)
                {
                    _lastCommand_us = _lastActivity_us;
                }
                forceWake = CountFailures(rx, ok, okBase, busOk);
                bool all = true;
                for (int d = 0; d < devices; d++)
                {
                    all &= ok[okBase + d];
                }
                if (all)
                {
                    return true;
                }
            }
            _statistics.FailedTransfers++;
            _scanFaults |= CellMonitorFaults.CommunicationError;
            for (int d = 0; d < devices; d++)
            {
                if (deviceSilent[d])
                {
                    _scanFaults |= CellMonitorFaults.DeviceMissing;
                }
            }
            return false;
        }

        /// <summary>
        /// Counts a PEC error for every device still missing after an attempt whose bus transfer succeeded and marks
        /// those that answered nothing but 0xFF as silent; a device that answered in an earlier attempt is left alone.
        /// true when one is silent: it may have slept (watchdog), so the repetition starts with a full wake-up.
        /// </summary>
        private bool CountFailures(byte[] answer, bool[] ok, int okBase, bool busOk)
        {
            if (!busOk)
            {
                return false;
            }
            bool anySilent = false;
            int o = 4;
            for (int d = 0; d < _devices; d++, o += 8)
            {
                if (ok[okBase + d])
                {
                    continue;
                }
                _statistics.CrcErrors++;
                bool silent = true;
                for (int i = 0; i < 8; i++)
                {
                    if (answer[o + i] != 0xFF)
                    {
                        silent = false;
                    }
                }
                _deviceSilent[d] = silent;
                anySilent |= silent;
            }
            return anySilent;
        }
    }
}
