using System;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Common;
using Bms.Hal;

namespace Bms.Drivers.Bq76952
{
    /// <summary>
    /// Driver for the TI BQ76952 3..16-cell battery monitor and protector over I2C (optionally with the chip's
    /// CRC-8 mode). One scan reads every cell, the stack, CC2 current, the temperatures and the protection status
    /// in the fewest transactions the register map allows; subcommands and data-memory writes use the 0x3E/0x40/0x60
    /// transfer buffer with its checksum. A chip reset (Battery Status POR or CONFIG_UPDATE seen outside
    /// configuration) is detected and the configuration re-applied. Allocation-free after construction.
    /// </summary>
    public sealed class Bq76952 : ICellMonitor, IDisposable
    {
        /// <summary>The chip's 7-bit I2C address as shipped.</summary>
        public const int DefaultI2cAddress = 0x08;

        private const int RegisterSpace = 0x80;
        private const int MaxFrame = 2 + 2 * 40;
        private const int DataMemoryItemsMax = 24;
        private const int AlarmMask = 0xF800 | Bq76952Registers.AlarmFullScan | Bq76952Registers.AlarmAdScan;
        private const int FullScanLoops = 3; // measurement loops per full scan (temperatures)
        private const int ConversionAlarms = Bq76952Registers.AlarmFullScan | Bq76952Registers.AlarmAdScan;

        private static readonly int[] ShortCircuitSteps_mV = { 10, 20, 40, 60, 80, 100, 125, 150, 175, 200, 250, 300, 350, 400, 450, 500 };

        private readonly II2cDevice _device;
        private readonly IDelay _delay;
        private readonly int _address;
        private readonly bool _crcMode;
        private readonly int _maxAttempts;
        private readonly int _pollLimit;
        private readonly int _pollInterval_us;
        private readonly int _staleScanLimit;
        private readonly int _maxBalancingCells;
        private readonly int _currentLsb_mA;
        private readonly int _addressWrite; // first byte of a write on the wire: address << 1
        private readonly int _addressRead;  // address << 1 | 1

        private readonly int[] _cellInput;           // logical cell -> physical input 0..15
        private readonly int[] _temperatureRegister; // thermistors first, die last

        // Read plan: register segments read by one WriteRead each.
        private readonly int[] _segmentStart;
        private readonly int[] _segmentLength;
        private readonly bool[] _segmentOk;
        private readonly int _segmentCount;
        private readonly int[] _segmentOfRegister;
        // Where the scan finds each value: looked up once here instead of per value and scan.
        private readonly int[] _cellRegister;
        private readonly int[] _cellSegment;
        private readonly int _allCellsSegment;      // the one segment holding every cell, or -1
        private readonly bool[] _allTrue;           // copied over CellValid when every cell was read
        private readonly int[] _temperatureSegment;
        private readonly int _safetyASegment;
        private readonly int _safetyBSegment;
        private readonly int _safetyCSegment;
        private readonly int _batteryStatusSegment;
        private readonly int _alarmSegment;
        private readonly int _stackSegment;
        private readonly int _currentSegment;

        // Data memory programmed by Initialize, verified by read-back.
        private readonly int[] _dmAddress = new int[DataMemoryItemsMax];
        private readonly int[] _dmLength = new int[DataMemoryItemsMax];
        private readonly int[] _dmValue = new int[DataMemoryItemsMax];
        private int _dmCount;
        private readonly int[] _verifyGroupFirst;
        private readonly int _verifyGroupCount;

        private readonly byte[] _frame = new byte[MaxFrame];
        private readonly byte[] _answer = new byte[MaxFrame];
        private readonly byte[] _image = new byte[RegisterSpace];
        private readonly byte[] _command = new byte[2 + Bq76952Registers.TransferBufferSize];
        private readonly byte[] _response = new byte[Bq76952Registers.TransferBufferSize];
        private readonly byte[] _small = new byte[4];

        private readonly CellMonitorStatistics _statistics = new CellMonitorStatistics();

        private BusStatus _lastStatus;
        private bool _configured;
        // Configured, without CRC, with the reset check: ReadCurrent's written-out path applies.
        private bool _quickCurrentRead;
        // The register bytes of the current read's two transfers: Battery Status, then CC2 current.
        private readonly byte[] _currentReadRegisters = { Bq76952Registers.BatteryStatus, Bq76952Registers.Cc2Current };
        private bool _disposed;
        private int _scansWithoutConversion;
        private bool _awaitingFirstConversion;
        private int _scansWithoutFullScan;
        private bool _awaitingFirstFullScan;
        private bool _resetNotReported;
        private readonly bool _checkResetOnCurrentRead;
        private bool _chargeFetRequested;
        private bool _dischargeFetRequested;
        private int _balancingMask;

        /// <summary>
        /// Creates the driver. Nothing is sent until <see cref="Initialize"/>.
        /// </summary>
        /// <param name="device">The chip on its I2C bus (address normally <see cref="DefaultI2cAddress"/>).</param>
        /// <param name="delay">Waits between subcommand polls.</param>
        /// <param name="configuration">Validated here; later changes to it have no effect.</param>
        public Bq76952(II2cDevice device, IDelay delay, Bq76952Configuration configuration)
        {
            if (device == null)
            {
                throw new ArgumentNullException("device");
            }
            if (delay == null)
            {
                throw new ArgumentNullException("delay");
            }
            if (configuration == null)
            {
                throw new ArgumentNullException("configuration");
            }
            configuration.Validate();

            _device = device;
            _delay = delay;
            _address = device.Address;
            _addressWrite = (_address << 1) & 0xFF;
            _addressRead = _addressWrite | 1;
            _crcMode = configuration.CrcMode;
            _maxAttempts = configuration.MaxAttempts;
            _pollLimit = configuration.SubcommandPollLimit;
            _pollInterval_us = configuration.SubcommandPollInterval_us;
            _staleScanLimit = configuration.StaleScanLimit;
            _maxBalancingCells = configuration.MaxBalancingCells;
            _currentLsb_mA = configuration.CurrentLsb_mA;
            _checkResetOnCurrentRead = configuration.CheckResetOnCurrentRead;

            _cellInput = new int[configuration.CellCount];
            int cell = 0;
            for (int input = 0; input < 16; input++)
            {
                if ((configuration.CellInputMask & (1 << input)) != 0)
                {
                    _cellInput[cell++] = input;
                }
            }

            _temperatureRegister = new int[configuration.ThermistorCount + 1];
            int t = 0;
            if (configuration.Ts1Thermistor)
            {
                _temperatureRegister[t++] = Bq76952Registers.Ts1Temperature;
            }
            if (configuration.Ts2Thermistor)
            {
                _temperatureRegister[t++] = Bq76952Registers.Ts2Temperature;
            }
            if (configuration.Ts3Thermistor)
            {
                _temperatureRegister[t++] = Bq76952Registers.Ts3Temperature;
            }
            _temperatureRegister[t] = Bq76952Registers.InternalTemperature;

            // Build the read plan: mark every needed register byte, then group them into block reads. A gap is
            // read through when its bytes cost no more than starting a new transaction (addr+W, reg, addr+R).
            bool[] needed = new bool[RegisterSpace];
            Need(needed, Bq76952Registers.SafetyStatusA, 1);
            Need(needed, Bq76952Registers.SafetyStatusB, 1);
            Need(needed, Bq76952Registers.SafetyStatusC, 1);
            Need(needed, Bq76952Registers.BatteryStatus, 2);
            for (int i = 0; i < _cellInput.Length; i++)
            {
                Need(needed, Bq76952Registers.Cell1Voltage + 2 * _cellInput[i], 2);
            }
            Need(needed, Bq76952Registers.StackVoltage, 2);
            Need(needed, Bq76952Registers.Cc2Current, 2);
            Need(needed, Bq76952Registers.AlarmStatus, 2);
            for (int i = 0; i < _temperatureRegister.Length; i++)
            {
                Need(needed, _temperatureRegister[i], 2);
            }
            int bytesPerRegister = _crcMode ? 2 : 1;
            const int transactionOverhead = 3;
            int[] starts = new int[RegisterSpace];
            int[] lengths = new int[RegisterSpace];
            int count = 0;
            int lastNeeded = -1;
            for (int r = 0; r < RegisterSpace; r++)
            {
                if (!needed[r])
                {
                    continue;
                }
                int gap = r - lastNeeded - 1;
                if (count > 0 && gap * bytesPerRegister <= transactionOverhead)
                {
                    lengths[count - 1] = r - starts[count - 1] + 1;
                }
                else
                {
                    starts[count] = r;
                    lengths[count] = 1;
                    count++;
                }
                lastNeeded = r;
            }
            // Each transaction costs the MCU far more than a byte clocked through it: merge neighbouring blocks,
            // cheapest gap first, while the scan stays within a tenth above the byte-optimal plan.
            int planBytes = 0;
            for (int s = 0; s < count; s++)
            {
                planBytes += lengths[s] * bytesPerRegister + transactionOverhead;
            }
            int allowance = planBytes / 10;
            while (count > 1)
            {
                int best = -1;
                int bestExtra = int.MaxValue;
                for (int s = 0; s + 1 < count; s++)
                {
                    int gap = starts[s + 1] - (starts[s] + lengths[s]);
                    int extra = gap * bytesPerRegister - transactionOverhead;
                    int merged = starts[s + 1] + lengths[s + 1] - starts[s];
                    if (extra < bestExtra && merged * bytesPerRegister <= MaxFrame - 2)
                    {
                        bestExtra = extra;
                        best = s;
                    }
                }
                if (bestExtra > allowance)
                {
                    break;
                }
                allowance -= bestExtra;
                lengths[best] = starts[best + 1] + lengths[best + 1] - starts[best];
                for (int s = best + 1; s + 1 < count; s++)
                {
                    starts[s] = starts[s + 1];
                    lengths[s] = lengths[s + 1];
                }
                count--;
            }
            _segmentCount = count;
            _segmentStart = new int[count];
            _segmentLength = new int[count];
            _segmentOk = new bool[count];
            _segmentOfRegister = new int[RegisterSpace];
            for (int r = 0; r < RegisterSpace; r++)
            {
                _segmentOfRegister[r] = -1;
            }
            for (int s = 0; s < count; s++)
            {
                _segmentStart[s] = starts[s];
                _segmentLength[s] = lengths[s];
                for (int r = starts[s]; r < starts[s] + lengths[s]; r++)
                {
                    _segmentOfRegister[r] = s;
                }
            }

            _cellRegister = new int[_cellInput.Length];
            _cellSegment = new int[_cellInput.Length];
            _allCellsSegment = _segmentOfRegister[Bq76952Registers.Cell1Voltage + 2 * _cellInput[0]];
            for (int i = 0; i < _cellInput.Length; i++)
            {
                _cellRegister[i] = Bq76952Registers.Cell1Voltage + 2 * _cellInput[i];
                _cellSegment[i] = _segmentOfRegister[_cellRegister[i]];
                if (_cellSegment[i] != _allCellsSegment)
                {
                    _allCellsSegment = -1;
                }
            }
            _allTrue = new bool[_cellInput.Length];
            for (int i = 0; i < _allTrue.Length; i++)
            {
                _allTrue[i] = true;
            }
            _temperatureSegment = new int[_temperatureRegister.Length];
            for (int i = 0; i < _temperatureRegister.Length; i++)
            {
                _temperatureSegment[i] = _segmentOfRegister[_temperatureRegister[i]];
            }
            _safetyASegment = _segmentOfRegister[Bq76952Registers.SafetyStatusA];
            _safetyBSegment = _segmentOfRegister[Bq76952Registers.SafetyStatusB];
            _safetyCSegment = _segmentOfRegister[Bq76952Registers.SafetyStatusC];
            _batteryStatusSegment = _segmentOfRegister[Bq76952Registers.BatteryStatus];
            _alarmSegment = _segmentOfRegister[Bq76952Registers.AlarmStatus];
            _stackSegment = _segmentOfRegister[Bq76952Registers.StackVoltage];
            _currentSegment = _segmentOfRegister[Bq76952Registers.Cc2Current];

            BuildDataMemoryImage(configuration);
            SortDataMemoryByAddress();
            // One data-memory read returns the 32 bytes from its address: verify neighbouring values together.
            _verifyGroupFirst = new int[_dmCount];
            int groups = 0;
            for (int i = 0; i < _dmCount; i++)
            {
                if (groups == 0 || _dmAddress[i] + _dmLength[i] > _dmAddress[_verifyGroupFirst[groups - 1]] + Bq76952Registers.TransferBufferSize)
                {
                    _verifyGroupFirst[groups++] = i;
                }
            }
            _verifyGroupCount = groups;
        }

        /// <inheritdoc />
        public int CellCount
        {
            get { return _cellInput.Length; }
        }

        /// <inheritdoc />
        public int TemperatureCount
        {
            get { return _temperatureRegister.Length; }
        }

        /// <inheritdoc />
        public bool HasCurrentSense
        {
            get { return true; }
        }

        /// <inheritdoc />
        public bool HasFetControl
        {
            get { return true; }
        }

        /// <inheritdoc />
        public CellMonitorStatistics Statistics
        {
            get { return _statistics; }
        }

        /// <summary>true once <see cref="Initialize"/> succeeded and no reset has been seen since.</summary>
        public bool IsConfigured
        {
            get { return _configured; }
        }

        /// <summary>Battery Status as read by the last scan.</summary>
        public int LastBatteryStatus { get; private set; }

        /// <summary>Safety Status A | B &lt;&lt; 8 | C &lt;&lt; 16 as read by the last scan.</summary>
        public int LastSafetyStatus { get; private set; }

        /// <summary>CHG FET state read back by the last <see cref="SetProtectionFets"/>.</summary>
        public bool ChargeFetOn { get; private set; }

        /// <summary>DSG FET state read back by the last <see cref="SetProtectionFets"/>.</summary>
        public bool DischargeFetOn { get; private set; }

        /// <summary>Cell-input bitmap the chip confirmed for balancing (bit n = input n + 1).</summary>
        public int BalancingInputMask
        {
            get { return _balancingMask; }
        }

        /// <summary>Physical cell input (0 = VC1-VC0 pair) of logical cell <paramref name="cellIndex"/>.</summary>
        public int CellInputOf(int cellIndex)
        {
            return _cellInput[cellIndex];
        }

        /// <summary>Number of block reads one <see cref="Measure"/> issues.</summary>
        public int ReadTransactionsPerScan
        {
            get { return _segmentCount; }
        }

        /// <inheritdoc />
        public bool Initialize()
        {
            if (_disposed)
            {
                return false;
            }
            SetConfigured(false);

            if (!ReadSubcommand(Bq76952Registers.DeviceNumber, _response, 2))
            {
                return false;
            }
            if (Bq76952Protocol.ReadUInt16(_response, 0) != Bq76952Registers.DeviceNumberValue)
            {
                return false;
            }

            if (!SendSubcommand(Bq76952Registers.SetCfgUpdate) || !WaitForBatteryStatus(Bq76952Registers.BatteryStatusCfgUpdate, true))
            {
                return false;
            }
            bool written = true;
            for (int i = 0; i < _dmCount && written; i++)
            {
                written = WriteDataMemory(i);
            }
            // Always leave CONFIG_UPDATE: the chip keeps its FETs off and stops protecting normally while in it.
            bool exited = SendSubcommand(Bq76952Registers.ExitCfgUpdate) && WaitForBatteryStatus(Bq76952Registers.BatteryStatusCfgUpdate, false);
            if (!written || !exited)
            {
                return false;
            }
            for (int g = 0; g < _verifyGroupCount; g++)
            {
                if (!VerifyDataMemoryGroup(g))
                {
                    return false;
                }
            }

            if (!EnsureFetEnabled())
            {
                return false;
            }
            _balancingMask = 0; // CONFIG_UPDATE (and any reset) stops balancing
            if (!ApplyFets(true))
            {
                return false;
            }

            // Alarm Enable takes the Default Alarm Mask at reset; set it directly too so ADSCAN/FULLSCAN latch now.
            _small[0] = AlarmMask & 0xFF;
            _small[1] = AlarmMask >> 8;
            if (!WriteRegisters(Bq76952Registers.AlarmEnable, _small, 0, 2))
            {
                return false;
            }
            _small[0] = 0xFF;
            _small[1] = 0xFF;
            if (!WriteRegisters(Bq76952Registers.AlarmStatus, _small, 0, 2))
            {
                return false;
            }
            _scansWithoutConversion = 0;
            _awaitingFirstConversion = true;
            _scansWithoutFullScan = 0;
            _awaitingFirstFullScan = true;
            SetConfigured(true);
            return true;
        }

        /// <summary>
        /// Writes one data-memory value (1..4 bytes, little-endian) inside SET_CFGUPDATE/EXIT_CFGUPDATE and reads it
        /// back. For calibration values the configuration object does not cover. Not for the periodic tick: while in
        /// CONFIG_UPDATE the chip turns its FETs off, stops balancing and stops measuring. A value the driver itself
        /// programs (see <see cref="GetDataMemoryItem"/>) is overwritten again by the next <see cref="Initialize"/>.
        /// </summary>
        public bool WriteDataMemoryValue(int address, int value, int length)
        {
            if (address < Bq76952Registers.DataMemoryFirst || address > Bq76952Registers.DataMemoryLast)
            {
                throw new ArgumentOutOfRangeException("address", "not a BQ76952 data-memory address");
            }
            if (length < 1 || length > 4)
            {
                throw new ArgumentOutOfRangeException("length", "1..4 bytes");
            }
            if (_disposed)
            {
                return false;
            }
            if (!SendSubcommand(Bq76952Registers.SetCfgUpdate) || !WaitForBatteryStatus(Bq76952Registers.BatteryStatusCfgUpdate, true))
            {
                return false;
            }
            for (int i = 0; i < length; i++)
            {
                _small[i] = (byte)(value >> (8 * i));
            }
            bool written = WriteSubcommand(address, _small, length);
            _balancingMask = 0;                 // CONFIG_UPDATE stops balancing
            _awaitingFirstConversion = true;    // and measuring: the next values come from a new loop
            _awaitingFirstFullScan = true;
            bool exited = SendSubcommand(Bq76952Registers.ExitCfgUpdate) && WaitForBatteryStatus(Bq76952Registers.BatteryStatusCfgUpdate, false);
            if (!written || !exited || !ReadSubcommand(address, _response, length))
            {
                return false;
            }
            for (int i = 0; i < length; i++)
            {
                if (_response[i] != (byte)(value >> (8 * i)))
                {
                    return false;
                }
            }
            return true;
        }

        /// <inheritdoc />
        public bool Measure(CellMonitorReadings readings)
        {
            if (readings == null || readings.CellVoltage_mV.Length != _cellInput.Length || readings.Temperature_dC.Length != _temperatureRegister.Length)
            {
                throw new ArgumentException("readings must be sized for CellCount cells and TemperatureCount temperatures");
            }
            long bytesBefore = _statistics.BusBytes;
            readings.InvalidateAll();
            readings.Faults = CellMonitorFaults.None;
            if (_disposed)
            {
                readings.Faults = CellMonitorFaults.CommunicationError;
                return false;
            }
            if (_resetNotReported)
            {
                // ReadCurrent saw the reset; this scan re-configures and tells the slower consumers.
                _resetNotReported = false;
                readings.Faults = CellMonitorFaults.DeviceReset;
            }
            if (!_configured && !Initialize())
            {
                readings.Faults |= CellMonitorFaults.CommunicationError;
                FinishScan(bytesBefore);
                return false;
            }

            bool allRead = true;
            bool chipSilent = false;
            bool[] segmentOk = _segmentOk;
            for (int s = 0; s < _segmentCount; s++)
            {
                if (chipSilent)
                {
                    segmentOk[s] = false;
                    continue;
                }
                int start = _segmentStart[s];
                bool ok = ReadRegisters((byte)start, _image, start, _segmentLength[s]);
                segmentOk[s] = ok;
                if (!ok)
                {
                    allRead = false;
                    // A chip that does not acknowledge its address will not answer the next block either.
                    chipSilent = _lastStatus == BusStatus.AddressNack || _lastStatus == BusStatus.Timeout;
                }
            }
            int faults = readings.Faults | (allRead ? CellMonitorFaults.None : CellMonitorFaults.CommunicationError);
            byte[] image = _image;

            if (segmentOk[_batteryStatusSegment])
            {
                int batteryStatus = image[Bq76952Registers.BatteryStatus] | (image[Bq76952Registers.BatteryStatus + 1] << 8);
                LastBatteryStatus = batteryStatus;
                if ((batteryStatus & (Bq76952Registers.BatteryStatusPor | Bq76952Registers.BatteryStatusCfgUpdate)) != 0)
                {
                    // The chip restarted with its defaults: this scan's values used them, so none is trusted.
                    _statistics.ResetsDetected++;
                    SetConfigured(false);
                    faults |= CellMonitorFaults.DeviceReset;
                    if (!Initialize())
                    {
                        faults |= CellMonitorFaults.CommunicationError;
                    }
                    readings.Faults = faults;
                    FinishScan(bytesBefore);
                    return false;
                }
                if ((batteryStatus & Bq76952Registers.BatteryStatusPermanentFault) != 0)
                {
                    faults |= CellMonitorFaults.DeviceFault;
                }
            }

            bool fresh = false;
            bool temperaturesFresh = false;
            if (segmentOk[_alarmSegment])
            {
                int alarm = image[Bq76952Registers.AlarmStatus] | (image[Bq76952Registers.AlarmStatus + 1] << 8);
                if ((alarm & Bq76952Registers.AlarmPermanentFault) != 0)
                {
                    faults |= CellMonitorFaults.DeviceFault;
                }
                if ((alarm & ConversionAlarms) != 0)
                {
                    _scansWithoutConversion = 0;
                    _awaitingFirstConversion = false;
                }
                else
                {
                    _scansWithoutConversion++;
                }
                // Temperatures share rotating slots and are only complete after a full scan (three loops).
                if ((alarm & Bq76952Registers.AlarmFullScan) != 0)
                {
                    _scansWithoutFullScan = 0;
                    _awaitingFirstFullScan = false;
                }
                else
                {
                    _scansWithoutFullScan++;
                }
                if (alarm != 0)
                {
                    // Alarm Status is latched: writing the bits back clears them, so ADSCAN/FULLSCAN mean "new since the last scan".
                    _small[0] = (byte)alarm;
                    _small[1] = (byte)(alarm >> 8);
                    if (!WriteRegisters(Bq76952Registers.AlarmStatus, _small, 0, 2))
                    {
                        faults |= CellMonitorFaults.CommunicationError;
                        allRead = false;
                    }
                }
                // Until the chip has measured once with this configuration its registers hold nothing to trust.
                fresh = !_awaitingFirstConversion && _scansWithoutConversion < _staleScanLimit;
                temperaturesFresh = fresh && !_awaitingFirstFullScan && _scansWithoutFullScan < FullScanLoops * _staleScanLimit;
                if (_scansWithoutConversion >= _staleScanLimit || _scansWithoutFullScan >= FullScanLoops * _staleScanLimit)
                {
                    faults |= CellMonitorFaults.DeviceFault;
                }
            }

            if (fresh)
            {
                DecodeMeasurements(readings, temperaturesFresh);
            }
            faults |= DecodeSafetyStatus();

            readings.Faults = faults;
            FinishScan(bytesBefore);
            return allRead && fresh && temperaturesFresh;
        }

        /// <inheritdoc />
        public bool ReadCurrent(CellMonitorReadings readings)
        {
            if (!_quickCurrentRead)
            {
                return ReadCurrentGeneral(readings);
            }
            // This runs every 10 ms: configured, without CRC, with the reset check, both first attempts healthy.
            // After a reset CC Gain and the user units are back at their defaults: the current would be scaled
            // wrongly until the next full scan noticed, so Battery Status is read first. Anything else continues
            // in QuickCurrentReadException with the retries of the general read.
            // Fields used twice are loaded twice: a local costs a store more.
            byte[] small = _small;
            BusStatus status = _device.WriteRead(_currentReadRegisters, 0, 1, small, 0, 2);
            // POR and CFGUPDATE are both in the low byte.
            if (status != BusStatus.Ok || (small[0] & (Bq76952Registers.BatteryStatusPor | Bq76952Registers.BatteryStatusCfgUpdate)) != 0)
            {
                return QuickCurrentReadException(readings, status, false);
            }
            status = _device.WriteRead(_currentReadRegisters, 1, 1, small, 0, 2);
            if (status != BusStatus.Ok)
            {
                return QuickCurrentReadException(readings, status, true);
            }
            CellMonitorStatistics statistics = _statistics;
            statistics.Transfers += 2;
            statistics.BusBytes += 10; // twice address+W, register, address+R, two data bytes
            readings.Current_mA = (short)(small[0] | (small[1] << 8)) * _currentLsb_mA;
            readings.CurrentValid = true;
            return true;
        }

        // The quick current read's other cases: the Battery Status read failed or shows a reset, or (atCurrent)
        // it was healthy and the CC2 read failed. Statistics as the general read keeps them.
        private bool QuickCurrentReadException(CellMonitorReadings readings, BusStatus status, bool atCurrent)
        {
            readings.CurrentValid = false;
            byte[] small = _small;
            if (!atCurrent)
            {
                if (status != BusStatus.Ok)
                {
                    if (!RetryFailedRead(status, Bq76952Registers.BatteryStatus, small, 0, 2))
                    {
                        return false;
                    }
                }
                else
                {
                    CountHealthyRead();
                }
                if ((small[0] & (Bq76952Registers.BatteryStatusPor | Bq76952Registers.BatteryStatusCfgUpdate)) != 0)
                {
                    return ReportResetFromCurrentRead(readings);
                }
                if (!ReadRegisters(Bq76952Registers.Cc2Current, small, 0, 2))
                {
                    return false;
                }
            }
            else
            {
                CountHealthyRead();
                if (!RetryFailedRead(status, Bq76952Registers.Cc2Current, small, 0, 2))
                {
                    return false;
                }
            }
            readings.Current_mA = (short)(small[0] | (small[1] << 8)) * _currentLsb_mA;
            readings.CurrentValid = true;
            return true;
        }

        private void CountHealthyRead()
        {
            _statistics.Transfers++;
            _statistics.BusBytes += 5;
        }

        // Whether ReadCurrent takes its quick path: follows _configured (set through SetConfigured).
        private void SetConfigured(bool configured)
        {
            _configured = configured;
            _quickCurrentRead = configured && !_crcMode && _checkResetOnCurrentRead;
        }

        /// <summary><see cref="ReadCurrent"/> through the general (retrying, CRC-checking) register reads.</summary>
        private bool ReadCurrentGeneral(CellMonitorReadings readings)
        {
            readings.CurrentValid = false;
            // Dispose clears _configured too.
            if (!_configured)
            {
                return false;
            }
            byte[] small = _small;
            if (_checkResetOnCurrentRead)
            {
                if (!ReadRegisters(Bq76952Registers.BatteryStatus, small, 0, 2))
                {
                    return false;
                }
                if ((small[0] & (Bq76952Registers.BatteryStatusPor | Bq76952Registers.BatteryStatusCfgUpdate)) != 0)
                {
                    return ReportResetFromCurrentRead(readings);
                }
            }
            if (!ReadRegisters(Bq76952Registers.Cc2Current, small, 0, 2))
            {
                return false;
            }
            readings.Current_mA = (short)(small[0] | (small[1] << 8)) * _currentLsb_mA;
            readings.CurrentValid = true;
            return true;
        }

        private bool ReportResetFromCurrentRead(CellMonitorReadings readings)
        {
            // Re-configuring takes far longer than the fast task may: leave it to the next Measure.
            _statistics.ResetsDetected++;
            SetConfigured(false);
            _resetNotReported = true;
            readings.Faults |= CellMonitorFaults.DeviceReset;
            return false;
        }

        /// <inheritdoc />
        public bool SetBalancing(bool[] cellsToDischarge)
        {
            if (cellsToDischarge == null || cellsToDischarge.Length != _cellInput.Length)
            {
                throw new ArgumentException("cellsToDischarge must have one entry per cell");
            }
            int mask = 0;
            int active = 0;
            for (int i = 0; i < cellsToDischarge.Length; i++)
            {
                if (!cellsToDischarge[i])
                {
                    continue;
                }
                if (active < _maxBalancingCells)
                {
                    mask |= 1 << _cellInput[i];
                    active++;
                }
                else
                {
                    cellsToDischarge[i] = false; // more than Cell Balance Max Cells: the chip would refuse them
                }
            }
            if (_disposed || !_configured)
            {
                return false;
            }
            _small[0] = (byte)mask;
            _small[1] = (byte)(mask >> 8);
            if (!WriteSubcommand(Bq76952Registers.CbActiveCells, _small, 2))
            {
                return false;
            }
            if (!ReadSubcommand(Bq76952Registers.CbActiveCells, _response, 2))
            {
                return false;
            }
            int confirmed = Bq76952Protocol.ReadUInt16(_response, 0);
            _balancingMask = confirmed;
            return confirmed == mask;
        }

        /// <inheritdoc />
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn)
        {
            _chargeFetRequested = chargeOn;
            _dischargeFetRequested = dischargeOn;
            if (_disposed || !_configured)
            {
                return false;
            }
            return ApplyFets(false);
        }

        /// <summary>The chip checks its sense wires autonomously (Cell Open-Wire settings); no host-run test here.</summary>
        public bool CheckOpenWires(bool[] openWire)
        {
            return false;
        }

        /// <summary>Stops balancing (best effort) and detaches from the chip. The bus device stays the caller's.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }
            if (_configured && _balancingMask != 0)
            {
                _small[0] = 0;
                _small[1] = 0;
                WriteSubcommand(Bq76952Registers.CbActiveCells, _small, 2);
            }
            _disposed = true;
            SetConfigured(false);
        }

        // ------------------------------------------------------------------ scan decoding

        private void DecodeMeasurements(CellMonitorReadings readings, bool temperaturesFresh)
        {
            byte[] image = _image;
            bool[] segmentOk = _segmentOk;
            int[] cellRegister = _cellRegister;
            int[] voltages = readings.CellVoltage_mV;
            int cells = cellRegister.Length;
            if (_allCellsSegment >= 0)
            {
                // Every cell came with one block read: they are all fresh or none is.
                if (segmentOk[_allCellsSegment])
                {
                    // The scan's cell summary in the same pass, so the firmware needs no pass of its own.
                    int sum = 0;
                    int highest = int.MinValue, lowest = int.MaxValue, highestIndex = -1, lowestIndex = -1;
                    for (int i = 0; i < cells; i++)
                    {
                        int register = cellRegister[i];
                        int v = (short)(image[register] | (image[register + 1] << 8));
                        voltages[i] = v;
                        sum += v;
                        if (v > highest)
                        {
                            highest = v;
                            highestIndex = i;
                        }
                        if (v < lowest)
                        {
                            lowest = v;
                            lowestIndex = i;
                        }
                    }
                    Array.Copy(_allTrue, readings.CellValid, cells);
                    readings.ValidCellCount = cells;
                    readings.ValidCellSum_mV = sum;
                    readings.HighestCell_mV = highest;
                    readings.HighestCellIndex = highestIndex;
                    readings.LowestCell_mV = lowest;
                    readings.LowestCellIndex = lowestIndex;
                    readings.CellSummaryKnown = true;
                }
            }
            else
            {
                int[] cellSegment = _cellSegment;
                bool[] cellValid = readings.CellValid;
                for (int i = 0; i < cells; i++)
                {
                    if (segmentOk[cellSegment[i]])
                    {
                        int register = cellRegister[i];
                        voltages[i] = (short)(image[register] | (image[register + 1] << 8));
                        cellValid[i] = true;
                    }
                }
            }
            if (segmentOk[_stackSegment])
            {
                readings.StackVoltage_mV = (image[Bq76952Registers.StackVoltage] | (image[Bq76952Registers.StackVoltage + 1] << 8)) * 10;
                readings.StackVoltageValid = true;
            }
            if (segmentOk[_currentSegment])
            {
                readings.Current_mA = (short)(image[Bq76952Registers.Cc2Current] | (image[Bq76952Registers.Cc2Current + 1] << 8)) * _currentLsb_mA;
                readings.CurrentValid = true;
            }
            if (!temperaturesFresh)
            {
                return;
            }
            int[] temperatureRegister = _temperatureRegister;
            int[] temperatureSegment = _temperatureSegment;
            for (int t = 0; t < temperatureRegister.Length; t++)
            {
                int register = temperatureRegister[t];
                int raw_dK = image[register] | (image[register + 1] << 8);
                // 0 K (a TS channel not yet converted since reset) or anything below -55 °C is no measurement.
                if (segmentOk[temperatureSegment[t]] && raw_dK >= MinPlausibleTemperature_dK)
                {
                    readings.Temperature_dC[t] = raw_dK - Bq76952Protocol.ZeroCelsius_dK;
                    readings.TemperatureValid[t] = true;
                }
            }
        }

        private const int MinPlausibleTemperature_dK = 2182;

        private int DecodeSafetyStatus()
        {
            bool[] segmentOk = _segmentOk;
            int a = segmentOk[_safetyASegment] ? _image[Bq76952Registers.SafetyStatusA] : 0;
            int b = segmentOk[_safetyBSegment] ? _image[Bq76952Registers.SafetyStatusB] : 0;
            int c = segmentOk[_safetyCSegment] ? _image[Bq76952Registers.SafetyStatusC] : 0;
            int status = a | (b << 8) | (c << 16);
            LastSafetyStatus = status;
            if (status == 0)
            {
                return 0;
            }
            int faults = 0;
            if ((a & 0x80) != 0 || (c & 0x40) != 0)
            {
                faults |= CellMonitorFaults.ShortCircuit;       // SCD, SCDL
            }
            if ((a & 0x60) != 0 || (c & 0xA0) != 0)
            {
                faults |= CellMonitorFaults.OverCurrentDischarge; // OCD1, OCD2, OCD3, OCDL
            }
            if ((a & 0x10) != 0)
            {
                faults |= CellMonitorFaults.OverCurrentCharge;  // OCC
            }
            if ((a & 0x08) != 0 || (c & 0x10) != 0)
            {
                faults |= CellMonitorFaults.CellOverVoltage;    // COV, COVL
            }
            if ((a & 0x04) != 0)
            {
                faults |= CellMonitorFaults.CellUnderVoltage;   // CUV
            }
            if ((b & 0xF0) != 0)
            {
                faults |= CellMonitorFaults.OverTemperature;    // OTF, OTINT, OTD, OTC
            }
            if ((b & 0x07) != 0)
            {
                faults |= CellMonitorFaults.UnderTemperature;   // UTINT, UTD, UTC
            }
            if ((c & 0x06) != 0)
            {
                faults |= CellMonitorFaults.DeviceFault;        // PTOS, HWDF
            }
            return faults;
        }

        private void FinishScan(long bytesBefore)
        {
            _statistics.LastScanBusBytes = (int)(_statistics.BusBytes - bytesBefore);
        }

        // ------------------------------------------------------------------ configuration

        private static void Need(bool[] needed, int register, int length)
        {
            for (int i = 0; i < length; i++)
            {
                needed[register + i] = true;
            }
        }

        private void AddDataMemory(int address, int length, int value)
        {
            _dmAddress[_dmCount] = address;
            _dmLength[_dmCount] = length;
            _dmValue[_dmCount] = value;
            _dmCount++;
        }

        private static int Clamp(int value, int min, int max)
        {
            return value < min ? min : (value > max ? max : value);
        }

        private void BuildDataMemoryImage(Bq76952Configuration c)
        {
            AddDataMemory(Bq76952Registers.DmVcellMode, 2, c.CellInputMask);
            // USER_VOLTS_CV (stack/PACK/LD in 10 mV) plus USER_AMPS: 1 = 1 mA, 2 = 10 mA.
            AddDataMemory(Bq76952Registers.DmDaConfiguration, 1, 0x04 | (c.CurrentLsb_mA == 1 ? 0x01 : 0x02));
            AddDataMemory(Bq76952Registers.DmTs1Config, 1, c.Ts1Thermistor ? Bq76952Registers.TsConfigCellThermistor : Bq76952Registers.TsConfigUnused);
            AddDataMemory(Bq76952Registers.DmTs2Config, 1, c.Ts2Thermistor ? Bq76952Registers.TsConfigCellThermistor : Bq76952Registers.TsConfigUnused);
            AddDataMemory(Bq76952Registers.DmTs3Config, 1, c.Ts3Thermistor ? Bq76952Registers.TsConfigCellThermistor : Bq76952Registers.TsConfigUnused);
            // CC Gain = 7.4768 / Rsense[mOhm] = 74768 / (10 * Rsense[uOhm]).
            AddDataMemory(Bq76952Registers.DmCcGain, 4, Bq76952Protocol.SingleBitsOfRatio(74768, 10L * c.SenseResistor_uOhm));
            // Alarm mask: default safety/PF bits plus ADSCAN/FULLSCAN, which tell the driver a new conversion exists.
            AddDataMemory(Bq76952Registers.DmDefaultAlarmMask, 2, AlarmMask);

            int protectionsA = c.EnableChipProtections ? 0xBC : 0x00; // SCD, OCD1, OCC, COV, CUV
            int protectionsB = 0;
            if (c.EnableChipProtections)
            {
                protectionsB = 0x40; // OTINT (die)
                if (c.ThermistorCount > 0)
                {
                    protectionsB |= 0x33; // OTD, OTC, UTD, UTC
                }
            }
            AddDataMemory(Bq76952Registers.DmEnabledProtectionsA, 1, protectionsA);
            AddDataMemory(Bq76952Registers.DmEnabledProtectionsB, 1, protectionsB);
            AddDataMemory(Bq76952Registers.DmEnabledProtectionsC, 1, 0x00);

            // Voltage thresholds in 50.6 mV steps, rounded to the safe side (OV down, UV up).
            AddDataMemory(Bq76952Registers.DmCovThreshold, 1, Clamp(c.CellOverVoltage_mV * 10 / 506, 20, 110));
            AddDataMemory(Bq76952Registers.DmCovDelay, 2, Clamp(c.CellOverVoltageDelay_ms * 10 / 33 - 2, 1, 2047));
            AddDataMemory(Bq76952Registers.DmCuvThreshold, 1, Clamp((c.CellUnderVoltage_mV * 10 + 505) / 506, 1, 90));
            AddDataMemory(Bq76952Registers.DmCuvDelay, 2, Clamp(c.CellUnderVoltageDelay_ms * 10 / 33 - 2, 1, 2047));

            // Current thresholds in 2 mV steps across the shunt: steps = I[mA] * R[uOhm] / 2e6.
            AddDataMemory(Bq76952Registers.DmOccThreshold, 1, Clamp((int)((long)c.OverCurrentCharge_mA * c.SenseResistor_uOhm / 2000000L), 2, 62));
            AddDataMemory(Bq76952Registers.DmOcd1Threshold, 1, Clamp((int)((long)c.OverCurrentDischarge_mA * c.SenseResistor_uOhm / 2000000L), 2, 100));
            int scd = 0;
            for (int i = 0; i < ShortCircuitSteps_mV.Length; i++)
            {
                if (ShortCircuitSteps_mV[i] <= c.ShortCircuitSense_mV)
                {
                    scd = i;
                }
            }
            AddDataMemory(Bq76952Registers.DmScdThreshold, 1, scd);

            AddDataMemory(Bq76952Registers.DmOtcThreshold, 1, Clamp(c.OverTemperatureCharge_dC / 10, -40, 120) & 0xFF);
            AddDataMemory(Bq76952Registers.DmOtdThreshold, 1, Clamp(c.OverTemperatureDischarge_dC / 10, -40, 120) & 0xFF);
            AddDataMemory(Bq76952Registers.DmUtcThreshold, 1, Clamp(c.UnderTemperatureCharge_dC / 10, -40, 120) & 0xFF);
            AddDataMemory(Bq76952Registers.DmUtdThreshold, 1, Clamp(c.UnderTemperatureDischarge_dC / 10, -40, 120) & 0xFF);

            AddDataMemory(Bq76952Registers.DmBalancingConfiguration, 1, 0x00); // host-controlled balancing only
            AddDataMemory(Bq76952Registers.DmCellBalanceMaxCells, 1, c.MaxBalancingCells);
        }

        /// <summary>Number of data-memory values <see cref="Initialize"/> writes.</summary>
        public int DataMemoryItemCount
        {
            get { return _dmCount; }
        }

        /// <summary>Address, length and value of data-memory item <paramref name="index"/> (for diagnostics and tests).</summary>
        public void GetDataMemoryItem(int index, out int address, out int length, out int value)
        {
            address = _dmAddress[index];
            length = _dmLength[index];
            value = _dmValue[index];
        }

        private bool WriteDataMemory(int item)
        {
            int length = _dmLength[item];
            int value = _dmValue[item];
            for (int i = 0; i < length; i++)
            {
                _small[i] = (byte)(value >> (8 * i));
            }
            return WriteSubcommand(_dmAddress[item], _small, length);
        }

        private void SortDataMemoryByAddress()
        {
            for (int i = 1; i < _dmCount; i++)
            {
                int address = _dmAddress[i];
                int length = _dmLength[i];
                int value = _dmValue[i];
                int j = i - 1;
                while (j >= 0 && _dmAddress[j] > address)
                {
                    _dmAddress[j + 1] = _dmAddress[j];
                    _dmLength[j + 1] = _dmLength[j];
                    _dmValue[j + 1] = _dmValue[j];
                    j--;
                }
                _dmAddress[j + 1] = address;
                _dmLength[j + 1] = length;
                _dmValue[j + 1] = value;
            }
        }

        /// <summary>Data-memory reads <see cref="Initialize"/> needs to verify every programmed value.</summary>
        public int DataMemoryVerifyReads
        {
            get { return _verifyGroupCount; }
        }

        private bool VerifyDataMemoryGroup(int group)
        {
            int first = _verifyGroupFirst[group];
            int end = group + 1 < _verifyGroupCount ? _verifyGroupFirst[group + 1] : _dmCount;
            int baseAddress = _dmAddress[first];
            int last = end - 1;
            int span = _dmAddress[last] + _dmLength[last] - baseAddress;
            if (!ReadSubcommand(baseAddress, _response, span))
            {
                return false;
            }
            for (int item = first; item < end; item++)
            {
                int offset = _dmAddress[item] - baseAddress;
                int value = _dmValue[item];
                for (int i = 0; i < _dmLength[item]; i++)
                {
                    if (_response[offset + i] != (byte)(value >> (8 * i)))
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        private bool WaitForBatteryStatus(int bit, bool set)
        {
            for (int poll = 0; poll < _pollLimit; poll++)
            {
                if (ReadRegisters(Bq76952Registers.BatteryStatus, _small, 0, 2))
                {
                    int status = Bq76952Protocol.ReadUInt16(_small, 0);
                    if (((status & bit) != 0) == set)
                    {
                        return true;
                    }
                }
                _delay.Wait_us(_pollInterval_us);
            }
            return false;
        }

        private bool EnsureFetEnabled()
        {
            if (!ReadSubcommand(Bq76952Registers.ManufacturingStatus, _response, 2))
            {
                return false;
            }
            if ((_response[0] & Bq76952Registers.ManufacturingStatusFetEn) != 0)
            {
                return true;
            }
            // FET_ENABLE toggles; read back so a retried toggle cannot leave the FETs in test mode unnoticed.
            if (!SendSubcommand(Bq76952Registers.FetEnable))
            {
                return false;
            }
            if (!ReadSubcommand(Bq76952Registers.ManufacturingStatus, _response, 2))
            {
                return false;
            }
            return (_response[0] & Bq76952Registers.ManufacturingStatusFetEn) != 0;
        }

        private bool ApplyFets(bool afterReset)
        {
            bool ok;
            if (!_chargeFetRequested && !_dischargeFetRequested)
            {
                ok = SendSubcommand(Bq76952Registers.AllFetsOff);
            }
            else
            {
                // ALL_FETS_ON releases every host hold; the hold for a FET that must stay off follows at once.
                ok = SendSubcommand(Bq76952Registers.AllFetsOn);
                if (ok && !_chargeFetRequested)
                {
                    ok = SendSubcommand(Bq76952Registers.ChgPchgOff);
                }
                if (ok && !_dischargeFetRequested)
                {
                    ok = SendSubcommand(Bq76952Registers.DsgPdsgOff);
                }
            }
            if (!ok || !ReadRegisters(Bq76952Registers.FetStatus, _small, 0, 1))
            {
                return false;
            }
            ChargeFetOn = (_small[0] & Bq76952Registers.FetStatusChg) != 0;
            DischargeFetOn = (_small[0] & Bq76952Registers.FetStatusDsg) != 0;
            // A FET asked on may be held off by the chip's own protection (that is success); one asked off must be off.
            return (_chargeFetRequested || !ChargeFetOn) && (_dischargeFetRequested || !DischargeFetOn);
        }

        // ------------------------------------------------------------------ subcommands

        private bool SendSubcommand(int code)
        {
            _command[0] = (byte)code;
            _command[1] = (byte)(code >> 8);
            if (!WriteRegisters(Bq76952Registers.SubcommandLow, _command, 0, 2))
            {
                return false;
            }
            return WaitForEcho(code);
        }

        private bool WaitForEcho(int code)
        {
            for (int poll = 0; poll < _pollLimit; poll++)
            {
                _delay.Wait_us(_pollInterval_us);
                if (!ReadRegisters(Bq76952Registers.SubcommandLow, _small, 2, 2))
                {
                    return false;
                }
                // While the chip executes, 0x3E/0x3F read 0xFF.
                if (_small[2] == (byte)code && _small[3] == (byte)(code >> 8))
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>Runs a read subcommand and copies the first <paramref name="count"/> response bytes after checking checksum and length.</summary>
        private bool ReadSubcommand(int code, byte[] destination, int count)
        {
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                if (!SendSubcommand(code))
                {
                    continue;
                }
                if (!ReadRegisters(Bq76952Registers.TransferChecksum, _small, 0, 2))
                {
                    continue;
                }
                int dataLength = _small[1] - 4;
                if (dataLength < count || dataLength > Bq76952Registers.TransferBufferSize)
                {
                    _statistics.CrcErrors++;
                    continue;
                }
                byte checksum = _small[0];
                if (dataLength > 0 && !ReadRegisters(Bq76952Registers.TransferBuffer, destination, 0, dataLength))
                {
                    continue;
                }
                int sum = (byte)code + (byte)(code >> 8);
                for (int i = 0; i < dataLength; i++)
                {
                    sum += destination[i];
                }
                if ((byte)(~sum & 0xFF) != checksum)
                {
                    _statistics.CrcErrors++;
                    continue;
                }
                return true;
            }
            _statistics.FailedTransfers++;
            return false;
        }

        /// <summary>Writes a subcommand with data: code and data to 0x3E.., then checksum and length to 0x60/0x61.</summary>
        private bool WriteSubcommand(int code, byte[] data, int count)
        {
            _command[0] = (byte)code;
            _command[1] = (byte)(code >> 8);
            for (int i = 0; i < count; i++)
            {
                _command[2 + i] = data[i];
            }
            if (!WriteRegisters(Bq76952Registers.SubcommandLow, _command, 0, 2 + count))
            {
                return false;
            }
            _small[2] = Bq76952Protocol.SubcommandChecksum(_command, 0, 2 + count);
            _small[3] = Bq76952Protocol.SubcommandLength(count);
            if (!WriteRegisters(Bq76952Registers.TransferChecksum, _small, 2, 2))
            {
                return false;
            }
            return WaitForEcho(code);
        }

        // ------------------------------------------------------------------ transfers

        /// <summary>Block read of <paramref name="count"/> registers from <paramref name="register"/> with retries.</summary>
        private bool ReadRegisters(byte register, byte[] destination, int offset, int count)
        {
            if (_crcMode)
            {
                return ReadRegistersRetrying(register, destination, offset, count, 0);
            }
            // Without CRC the answer is the data itself, so it goes straight to its place; this first attempt is
            // the path of every healthy tick and is kept free of the retry bookkeeping.
            _frame[0] = register;
            BusStatus status = _device.WriteRead(_frame, 0, 1, destination, offset, count);
            _lastStatus = status;
            if (status == BusStatus.Ok)
            {
                CellMonitorStatistics statistics = _statistics;
                statistics.Transfers++;
                statistics.BusBytes += 3 + count;
                return true;
            }
            return RetryFailedRead(status, register, destination, offset, count);
        }

        /// <summary>Accounts a failed first attempt of a read without CRC and runs the remaining attempts.</summary>
        private bool RetryFailedRead(BusStatus status, byte register, byte[] destination, int offset, int count)
        {
            _lastStatus = status;
            _statistics.Transfers++;
            // Address NACK: only the address byte went out. Otherwise count the whole framed transaction.
            _statistics.BusBytes += status == BusStatus.AddressNack ? 1 : 3 + count;
            return ReadRegistersRetrying(register, destination, offset, count, 1);
        }

        /// <summary>The attempts of a block read from <paramref name="firstAttempt"/> on (every attempt in CRC mode).</summary>
        private bool ReadRegistersRetrying(byte register, byte[] destination, int offset, int count, int firstAttempt)
        {
            int answerLength = _crcMode ? 2 * count : count;
            for (int attempt = firstAttempt; attempt < _maxAttempts; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                _frame[0] = register;
                _statistics.Transfers++;
                BusStatus status = _crcMode
                    ? _device.WriteRead(_frame, 0, 1, _answer, 0, answerLength)
                    : _device.WriteRead(_frame, 0, 1, destination, offset, count);
                _lastStatus = status;
                _statistics.BusBytes += status == BusStatus.AddressNack ? 1 : 3 + answerLength;
                if (status != BusStatus.Ok)
                {
                    continue;
                }
                if (_crcMode && !UnframeCrcRead(register, destination, offset, count))
                {
                    _statistics.CrcErrors++;
                    continue;
                }
                return true;
            }
            _statistics.FailedTransfers++;
            return false;
        }

        /// <summary>
        /// <see cref="Bq76952Protocol.UnframeRead"/> of <see cref="_answer"/> with the CRC table indexed in place
        /// (a call per byte would cost more than the lookup).
        /// </summary>
        private bool UnframeCrcRead(byte register, byte[] destination, int offset, int count)
        {
            if (count == 0)
            {
                return true;
            }
            byte[] table = Crc8.Table;
            byte[] answer = _answer;
            // The first CRC covers [address+W, register, address+R, data0]; every later one its own byte alone.
            int value = answer[0];
            if (answer[1] != table[table[table[table[_addressWrite] ^ register] ^ _addressRead] ^ value])
            {
                return false;
            }
            destination[offset] = (byte)value;
            int end = 2 * count;
            for (int i = 2; i < end; i += 2)
            {
                value = answer[i];
                if (answer[i + 1] != table[value])
                {
                    return false;
                }
                destination[++offset] = (byte)value;
            }
            return true;
        }

        /// <summary>Register write of <paramref name="count"/> bytes with retries.</summary>
        private bool WriteRegisters(byte register, byte[] data, int offset, int count)
        {
            int length = Bq76952Protocol.FrameWrite(_frame, _address, register, data, offset, count, _crcMode);
            for (int attempt = 0; attempt < _maxAttempts; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                _statistics.Transfers++;
                BusStatus status = _device.Write(_frame, 0, length);
                _lastStatus = status;
                // Address NACK: only the address byte went out. Otherwise count the whole framed transaction.
                _statistics.BusBytes += status == BusStatus.AddressNack ? 1 : 1 + length;
                if (status == BusStatus.Ok)
                {
                    return true;
                }
            }
            _statistics.FailedTransfers++;
            return false;
        }
    }
}
