using System;
using Bms.Drivers.CellMonitoring;
using Bms.Drivers.Common;
using Bms.Hal;

namespace Bms.Drivers.Bq769x0
{
    /// <summary>
    /// Driver for the TI BQ76920 / BQ76930 / BQ76940 analog front ends (5 / 10 / 15 cells) over I2C, with or
    /// without the chip's CRC-8. Reads cells, stack, thermistors and the coulomb counter in as few bus bytes as
    /// the register map allows (a read plan built once at construction), checks every transfer, retries a
    /// bounded number of times and marks what it could not read as invalid. Detects chip resets
    /// (DEVICE_XREADY, stalled conversions with lost configuration) and re-applies the configuration.
    /// Allocation-free after construction.
    /// </summary>
    public sealed class Bq769x0 : ICellMonitor
    {
        /// <summary>7-bit I2C address of most variants.</summary>
        public const int DefaultI2cAddress = 0x08;

        /// <summary>7-bit I2C address of the variants ordered with the alternative address.</summary>
        public const int AlternativeI2cAddress = 0x18;

        // A register read costs address+W, register, address+R on top of its data.
        private const int ReadOverheadBytes = 3;
        // Registers 0x00 .. CC_LO are mirrored locally; the plan reads only what it needs.
        private const int MirroredRegisters = 0x34;
        private const int MaxSegments = 16;
        // Registers 0x00..0x0B are written as one block at configuration.
        private const int ConfigBlockLength = 12;
        private const byte ShutA = 0x02;
        private const byte ShutB = 0x01;

        private readonly II2cDevice _device;
        private readonly IMonotonicClock _clock;
        private readonly Bq769x0Variant _variant;
        private readonly int _cellCount;
        private readonly int _thermistorCount;
        private readonly int[] _cellInput;
        private readonly bool _crc;
        private readonly int _bytesPerDataByte;
        private readonly int _retries;
        private readonly int _shunt_uOhm;
        private readonly Ntc _thermistor;
        private readonly int _pullUp_ohm;
        private readonly long _regulator_uV;
        private readonly int _currentMaxAge_ms;
        private readonly int _ovThreshold_mV;
        private readonly int _uvThreshold_mV;
        private readonly byte _protect1;
        private readonly byte _protect2;
        private readonly byte _protect3;
        private readonly byte _sysCtrl1;
        private readonly IDigitalOutput _bootPin;
        private readonly IDelay _delay;
        private readonly int _bootPulse_us;
        private readonly int _bootWait_ms;

        private readonly int[] _segmentStart = new int[MaxSegments];
        private readonly int[] _segmentLength = new int[MaxSegments];
        private readonly int _segmentCount;

        private readonly byte[] _registers = new byte[0x60];
        private readonly bool[] _segmentOk = new bool[MaxSegments];
        // Where the scan finds each value: looked up once here instead of per value and scan.
        private readonly int[] _cellIndex;          // index of a cell's high byte in _scanImage
        private readonly byte[] _scanImage;         // scan answers as they came: with CRC each data byte is followed by its CRC
        private readonly int _stride;               // bytes per register in _scanImage
        private readonly int[] _cellSegment;
        private readonly int _allCellsSegment;      // the one read segment holding every cell, or -1
        private readonly bool[] _allTrue;           // copied over CellValid when every cell was read
        // The chip converts every 250 ms and the driver scans every 100 ms, so most scans find the codes of the scan
        // before: the values decoded from them then are the ones already decoded (exact, no arithmetic repeated).
        private readonly byte[] _decodedImage;      // _scanImage as it was when the cells were last decoded
        private readonly int[] _decodedCell_mV;
        private bool _decodedCellsKnown;
        private int _decodedSum_mV, _decodedHighest_mV, _decodedHighestIndex, _decodedLowest_mV, _decodedLowestIndex;
        private readonly int[] _decodedThermistorCode; // -1: none decoded yet
        private readonly int[] _decodedThermistor_dC;
        private readonly bool[] _decodedThermistorValid;
        private readonly int _stackSegment;
        private readonly int _ccSegment;
        private readonly int[] _thermistorSegment;
        private readonly int[] _temperatureHint;   // per thermistor: the Ntc table segment of its last conversion
        private readonly int _crcReadSeed;         // CRC-8 state after address+R: the first data CRC continues it
        private readonly int _crcWriteSeed;        // CRC-8 state after address+W
        private readonly byte[] _configImage = new byte[ConfigBlockLength];
        private readonly byte[] _writeBuffer = new byte[2 + 2 * ConfigBlockLength];
        private readonly byte[] _readBuffer = new byte[2 * MirroredRegisters];
        // The register byte of the 10 ms SYS_STAT read, and that read's framed size.
        private readonly byte[] _sysStatRegister = { Bq769x0Registers.SysStat };
        private readonly int _statusReadBytes;
        private readonly byte[] _scratch = new byte[4];
        private readonly CellMonitorStatistics _statistics = new CellMonitorStatistics();

        private bool _configured;
        private int _gain_uV;
        private int _offset_mV;
        private int _ovTripRegister;
        private int _uvTripRegister;
        private byte _sysCtrl2;
        private long _adcValidFrom_ms;
        private long _lastCcConversion_ms;
        private bool _conversionSeen;
        private int _current_mA;

        /// <summary>Creates the driver; nothing is sent until <see cref="Initialize"/>.</summary>
        public Bq769x0(II2cDevice device, IMonotonicClock clock, Bq769x0Configuration configuration)
            : this(device, clock, configuration, null, null)
        {
        }

        /// <summary>
        /// Creates the driver with a wake-up line: <paramref name="bootPin"/> drives the TS1 (BOOT) pin through the
        /// board's boot circuit, so <see cref="Initialize"/> can wake a chip found in SHIP mode (where it is after
        /// every power-on reset). <paramref name="delay"/> times the pulse.
        /// </summary>
        public Bq769x0(II2cDevice device, IMonotonicClock clock, Bq769x0Configuration configuration, IDigitalOutput bootPin, IDelay delay)
        {
            if (device == null || clock == null || configuration == null)
            {
                throw new ArgumentNullException(device == null ? "device" : (clock == null ? "clock" : "configuration"));
            }
            int groups = (int)configuration.Variant / 5;
            if (groups < 1 || groups > 3 || (int)configuration.Variant != groups * 5)
            {
                throw new ArgumentException("unknown variant");
            }
            if (configuration.ThermistorCount < 0 || configuration.ThermistorCount > groups)
            {
                throw new ArgumentException("thermistor count exceeds the variant's TS inputs");
            }
            if (configuration.ShuntResistance_uOhm <= 0 || configuration.Retries < 0 || configuration.CurrentMaxAge_ms <= 0)
            {
                throw new ArgumentException("shunt, retries and current age must be positive");
            }
            if (configuration.ThermistorCount > 0 && configuration.Thermistor == null)
            {
                throw new ArgumentException("a thermistor model is needed");
            }

            _device = device;
            _clock = clock;
            _variant = configuration.Variant;
            _cellCount = configuration.CellCount;
            _cellInput = configuration.CellInputs == null
                ? Bq769x0Conversions.DefaultCellInputs(configuration.Variant, configuration.CellCount)
                : CheckedInputs(configuration.CellInputs, configuration.CellCount, groups);
            _thermistorCount = configuration.ThermistorCount;
            _crc = configuration.CrcEnabled;
            _bytesPerDataByte = _crc ? 2 : 1;
            _statusReadBytes = ReadOverheadBytes + _bytesPerDataByte;
            _retries = configuration.Retries;
            _shunt_uOhm = configuration.ShuntResistance_uOhm;
            _thermistor = configuration.Thermistor;
            _pullUp_ohm = configuration.ThermistorPullUp_ohm;
            _regulator_uV = configuration.RegulatorVoltage_mV * 1000L;
            _currentMaxAge_ms = configuration.CurrentMaxAge_ms;
            _ovThreshold_mV = configuration.CellOverVoltage_mV;
            _uvThreshold_mV = configuration.CellUnderVoltage_mV;

            ComputeCurrentProtection(configuration, out _protect1, out _protect2);
            _protect3 = (byte)((IndexAtOrBelow(Bq769x0Registers.UvDelay_s, configuration.UnderVoltageDelay_s) << 6)
                             | (IndexAtOrBelow(Bq769x0Registers.OvDelay_s, configuration.OverVoltageDelay_s) << 4));
            _sysCtrl1 = (byte)(Bq769x0Registers.Ctrl1AdcEn | (_thermistorCount > 0 ? Bq769x0Registers.Ctrl1TempSel : 0));

            _bootPin = bootPin;
            _delay = delay;
            if (bootPin != null && delay == null)
            {
                throw new ArgumentException("a boot pin needs a delay to time its pulse");
            }
            _bootPulse_us = configuration.BootPulse_us;
            _bootWait_ms = configuration.BootWait_ms;

            _segmentCount = PlanReads();
            int[] segmentOf = new int[MirroredRegisters];
            for (int r = 0; r < MirroredRegisters; r++)
            {
                segmentOf[r] = -1;
            }
            for (int seg = 0; seg < _segmentCount; seg++)
            {
                for (int r = _segmentStart[seg]; r < _segmentStart[seg] + _segmentLength[seg]; r++)
                {
                    segmentOf[r] = seg;
                }
            }
            _stride = _bytesPerDataByte;
            _scanImage = new byte[_stride * MirroredRegisters];
            _cellIndex = new int[_cellCount];
            _cellSegment = new int[_cellCount];
            for (int cell = 0; cell < _cellCount; cell++)
            {
                int register = Bq769x0Registers.Vc1Hi + 2 * _cellInput[cell];
                _cellIndex[cell] = _stride * register;
                _cellSegment[cell] = segmentOf[register];
            }
            _allCellsSegment = _cellSegment[0];
            for (int cell = 1; cell < _cellCount; cell++)
            {
                if (_cellSegment[cell] != _allCellsSegment)
                {
                    _allCellsSegment = -1;
                }
            }
            _allTrue = new bool[_cellCount];
            for (int cell = 0; cell < _cellCount; cell++)
            {
                _allTrue[cell] = true;
            }
            _decodedImage = new byte[_scanImage.Length];
            _decodedCell_mV = new int[_cellCount];
            _stackSegment = segmentOf[Bq769x0Registers.BatHi];
            _ccSegment = segmentOf[Bq769x0Registers.CcHi];
            _thermistorSegment = new int[_thermistorCount];
            _decodedThermistorCode = new int[_thermistorCount];
            _decodedThermistor_dC = new int[_thermistorCount];
            _decodedThermistorValid = new bool[_thermistorCount];
            ForgetDecodedValues();
            for (int k = 0; k < _thermistorCount; k++)
            {
                _thermistorSegment[k] = segmentOf[Bq769x0Registers.Ts1Hi + 2 * k];
            }
            _temperatureHint = new int[_thermistorCount];
            _crcWriteSeed = Crc8.Table[(device.Address << 1) & 0xFF];
            _crcReadSeed = Crc8.Table[((device.Address << 1) | 1) & 0xFF];
        }

        /// <inheritdoc />
        public int CellCount
        {
            get { return _cellCount; }
        }

        /// <inheritdoc />
        public int TemperatureCount
        {
            get { return _thermistorCount; }
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

        /// <summary>Family member this driver talks to.</summary>
        public Bq769x0Variant Variant
        {
            get { return _variant; }
        }

        /// <summary>true once the configuration was written and verified (false again after a failed re-configuration).</summary>
        public bool IsConfigured
        {
            get { return _configured; }
        }

        /// <summary>Voltage ADC gain read from the chip's trim, µV per LSB (0 before <see cref="Initialize"/>).</summary>
        public int Gain_uV
        {
            get { return _gain_uV; }
        }

        /// <summary>Voltage ADC offset read from the chip's trim, mV.</summary>
        public int Offset_mV
        {
            get { return _offset_mV; }
        }

        /// <summary>Over-voltage threshold the chip actually applies (after rounding to its step).</summary>
        public int OverVoltageTrip_mV
        {
            get { return Bq769x0Conversions.CellVoltage_mV(Bq769x0Conversions.OverVoltageTripCode(_ovTripRegister), _gain_uV, _offset_mV); }
        }

        /// <summary>Under-voltage threshold the chip actually applies (after rounding to its step).</summary>
        public int UnderVoltageTrip_mV
        {
            get { return Bq769x0Conversions.CellVoltage_mV(Bq769x0Conversions.UnderVoltageTripCode(_uvTripRegister), _gain_uV, _offset_mV); }
        }

        /// <summary>Number of read transactions one <see cref="Measure"/> uses for the measurement block (status excluded).</summary>
        public int ReadSegmentCount
        {
            get { return _segmentCount; }
        }

        /// <summary>Input (0..14, VC1..VC15) cell <paramref name="cell"/> (0 = cell 1) is measured on.</summary>
        public int GetCellInput(int cell)
        {
            return _cellInput[cell];
        }

        /// <inheritdoc />
        public bool Initialize()
        {
            _configured = false;
            _conversionSeen = false;
            // Gain and offset are read again below: nothing decoded with the old ones is reused.
            ForgetDecodedValues();
            if (!ReadTrim() && (!WakeFromShipMode() || !ReadTrim()))
            {
                return false;
            }
            _gain_uV = Bq769x0Conversions.GainFromTrim(_registers[Bq769x0Registers.AdcGain1], _registers[Bq769x0Registers.AdcGain2]);
            _offset_mV = Bq769x0Conversions.OffsetFromTrim(_registers[Bq769x0Registers.AdcOffset]);
            _ovTripRegister = Bq769x0Conversions.OverVoltageTripRegister(_ovThreshold_mV, _gain_uV, _offset_mV);
            _uvTripRegister = Bq769x0Conversions.UnderVoltageTripRegister(_uvThreshold_mV, _gain_uV, _offset_mV);

            // Clear every status flag, balancing off, FETs off (a reset opened them; only the firmware may close them again).
            _sysCtrl2 = Bq769x0Registers.Ctrl2CcEn;
            _configImage[Bq769x0Registers.SysStat] = Bq769x0Registers.StatAll;
            _configImage[Bq769x0Registers.CellBal1] = 0;
            _configImage[Bq769x0Registers.CellBal2] = 0;
            _configImage[Bq769x0Registers.CellBal3] = 0;
            _configImage[Bq769x0Registers.SysCtrl1] = _sysCtrl1;
            _configImage[Bq769x0Registers.SysCtrl2] = _sysCtrl2;
            _configImage[Bq769x0Registers.Protect1] = _protect1;
            _configImage[Bq769x0Registers.Protect2] = _protect2;
            _configImage[Bq769x0Registers.Protect3] = _protect3;
            _configImage[Bq769x0Registers.OvTrip] = (byte)_ovTripRegister;
            _configImage[Bq769x0Registers.UvTrip] = (byte)_uvTripRegister;
            _configImage[Bq769x0Registers.CcCfg] = Bq769x0Registers.CcCfgRequired;
            if (!WriteRegisters(Bq769x0Registers.SysStat, _configImage, 0, ConfigBlockLength))
            {
                return false;
            }
            if (!ConfigurationMatches())
            {
                return false;
            }

            long now = _clock.Now_ms;
            _adcValidFrom_ms = now + Bq769x0Registers.ConversionPeriod_ms;
            _lastCcConversion_ms = now;
            _configured = true;
            return true;
        }

        /// <summary>
        /// Puts the chip into SHIP mode (everything off, FETs open, no I2C) with the two-write SHUT_A/SHUT_B sequence.
        /// Only a pulse on TS1 wakes it again. false if a write failed.
        /// </summary>
        public bool EnterShipMode()
        {
            _configured = false;
            _scratch[0] = _sysCtrl1;                                   // SHUT_A, SHUT_B = 0, 0
            _scratch[1] = (byte)(_sysCtrl1 | ShutB);                   // 0, 1
            _scratch[2] = (byte)(_sysCtrl1 | ShutA);                   // 1, 0
            return WriteRegisters(Bq769x0Registers.SysCtrl1, _scratch, 0, 1)
                && WriteRegisters(Bq769x0Registers.SysCtrl1, _scratch, 1, 1)
                && WriteRegisters(Bq769x0Registers.SysCtrl1, _scratch, 2, 1);
        }

        /// <inheritdoc />
        public bool Measure(CellMonitorReadings readings)
        {
            CheckReadings(readings);
            long startBytes = _statistics.BusBytes;
            readings.InvalidateAll();
            int faults = CellMonitorFaults.None;
            bool complete = false;

            if (!_configured && !Initialize())
            {
                faults |= CellMonitorFaults.CommunicationError;
            }
            else
            {
                int status;
                if (!ReadStatus(out status))
                {
                    faults |= CellMonitorFaults.CommunicationError;
                }
                else
                {
                    faults |= DecodeStatus(status);
                    if ((status & Bq769x0Registers.StatDeviceXReady) != 0)
                    {
                        faults |= RecoverFromReset();
                    }
                    else
                    {
                        complete = ReadMeasurements(readings, status, ref faults);
                    }
                }
            }

            readings.Faults = faults;
            _statistics.LastScanBusBytes = (int)(_statistics.BusBytes - startBytes);
            return complete;
        }

        /// <summary>
        /// Fast path for the 10 ms task: reads SYS_STAT (protection flags are OR-ed into
        /// <see cref="CellMonitorReadings.Faults"/>), and the coulomb counter when CC_READY says a conversion is waiting;
        /// between conversions the latest one is reported. 4 bus bytes (5 with CRC) per call, 12 (16) when a
        /// conversion is taken. Does not configure the chip: false until <see cref="Initialize"/> succeeded.
        /// </summary>
        public bool ReadCurrent(CellMonitorReadings readings)
        {
            if (!_configured)
            {
                readings.CurrentValid = false;
                return false;
            }
            // This runs every 10 ms. Written out: a healthy first SYS_STAT read with no flag at all (no protection
            // flag, no reset, no coulomb-counter conversion waiting) while the latest conversion is young enough,
            // which is then the current. Everything else continues in ReadCurrentAfterStatusRead.
            byte[] answer = _readBuffer;
            BusStatus result = _device.WriteRead(_sysStatRegister, 0, 1, answer, 0, _bytesPerDataByte);
            int status = answer[0];
            if (result != BusStatus.Ok || status != 0 || (_crc && answer[1] != Crc8.Table[_crcReadSeed ^ status]))
            {
                return ReadCurrentAfterStatusRead(readings, result);
            }
            CellMonitorStatistics statistics = _statistics;
            statistics.Transfers++;
            statistics.BusBytes += _statusReadBytes;
            if (!_conversionSeen || _clock.Now_ms - _lastCcConversion_ms > _currentMaxAge_ms)
            {
                readings.CurrentValid = false;
                int noFlags = CellMonitorFaults.None;
                bool valid = UpdateCurrent(readings, status, false, ref noFlags);
                readings.Faults |= noFlags;
                return valid;
            }
            readings.Current_mA = _current_mA;
            readings.CurrentValid = true;
            return true;
        }

        // ReadCurrent after the first SYS_STAT attempt (in the answer buffer) failed, or showed a flag.
        private bool ReadCurrentAfterStatusRead(CellMonitorReadings readings, BusStatus result)
        {
            readings.CurrentValid = false;
            byte[] answer = _readBuffer;
            int readCount = _bytesPerDataByte;
            bool crcValid = !_crc || answer[1] == Crc8.Table[_crcReadSeed ^ answer[0]];
            int status;
            if (result == BusStatus.Ok && crcValid)
            {
                status = answer[0];
                CellMonitorStatistics statistics = _statistics;
                statistics.Transfers++;
                statistics.BusBytes += ReadOverheadBytes + readCount;
            }
            else if (ReadRegisters(Bq769x0Registers.SysStat, 1, result == BusStatus.Ok ? FirstAttemptCrcError : FirstAttemptBusError))
            {
                status = _registers[Bq769x0Registers.SysStat];
            }
            else
            {
                readings.Faults |= CellMonitorFaults.CommunicationError;
                return false;
            }
            // A healthy chip shows at most CC_READY: no flag to decode.
            int faults = (status & ~Bq769x0Registers.StatCcReady) == 0 ? CellMonitorFaults.None : DecodeStatus(status);
            if ((status & Bq769x0Registers.StatDeviceXReady) != 0)
            {
                readings.Faults |= faults | RecoverFromReset();
                return false;
            }
            bool ccRead = false;
            if ((status & Bq769x0Registers.StatCcReady) != 0)
            {
                ccRead = ReadRegisters(Bq769x0Registers.CcHi, 2);
                if (!ccRead)
                {
                    faults |= CellMonitorFaults.CommunicationError;
                }
            }
            bool valid = UpdateCurrent(readings, status, ccRead, ref faults);
            readings.Faults |= faults;
            return valid;
        }

        /// <inheritdoc />
        public bool SetBalancing(bool[] cellsToDischarge)
        {
            if (cellsToDischarge == null || cellsToDischarge.Length < _cellCount)
            {
                throw new ArgumentException("one flag per cell is needed");
            }
            _scratch[0] = 0;
            _scratch[1] = 0;
            _scratch[2] = 0;
            for (int cell = 0; cell < _cellCount; cell++)
            {
                if (!cellsToDischarge[cell])
                {
                    continue;
                }
                int input = _cellInput[cell];
                // Adjacent cells of one group of five must not bleed together; the later one waits.
                if (cell > 0 && cellsToDischarge[cell - 1] && _cellInput[cell - 1] / 5 == input / 5)
                {
                    cellsToDischarge[cell] = false;
                    continue;
                }
                _scratch[input / 5] |= (byte)(1 << (input % 5));
            }
            if (!_configured)
            {
                return false;
            }
            int groups = (int)_variant / 5;
            if (!WriteRegisters(Bq769x0Registers.CellBal1, _scratch, 0, groups) || !ReadRegisters(Bq769x0Registers.CellBal1, groups))
            {
                return false;
            }
            for (int group = 0; group < groups; group++)
            {
                if ((_registers[Bq769x0Registers.CellBal1 + group] & 0x1F) != _scratch[group])
                {
                    return false;
                }
            }
            return true;
        }

        /// <inheritdoc />
        public bool SetProtectionFets(bool chargeOn, bool dischargeOn)
        {
            if (!_configured)
            {
                return false;
            }
            _sysCtrl2 = (byte)(Bq769x0Registers.Ctrl2CcEn
                | (dischargeOn ? Bq769x0Registers.Ctrl2DsgOn : 0)
                | (chargeOn ? Bq769x0Registers.Ctrl2ChgOn : 0));
            _scratch[0] = _sysCtrl2;
            if (!WriteRegisters(Bq769x0Registers.SysCtrl2, _scratch, 0, 1) || !ReadRegisters(Bq769x0Registers.SysCtrl2, 1))
            {
                return false;
            }
            // The chip refuses to close a FET while its protection flag is latched: the read-back tells.
            const int fetBits = Bq769x0Registers.Ctrl2ChgOn | Bq769x0Registers.Ctrl2DsgOn;
            return (_registers[Bq769x0Registers.SysCtrl2] & fetBits) == (_sysCtrl2 & fetBits);
        }

        /// <summary>The BQ769x0 has no open-wire test: clears <paramref name="openWire"/> and returns false.</summary>
        public bool CheckOpenWires(bool[] openWire)
        {
            if (openWire != null)
            {
                for (int i = 0; i < openWire.Length; i++)
                {
                    openWire[i] = false;
                }
            }
            return false;
        }

        /// <summary>
        /// Clears the chip's latched protection flags (OV, UV, SCD, OCD, OVRD_ALERT) so the FETs can be closed
        /// again. Call only once the firmware has decided it is safe. false if the write failed.
        /// </summary>
        public bool ClearProtectionFlags()
        {
            return ClearStatusBits(Bq769x0Registers.StatOv | Bq769x0Registers.StatUv | Bq769x0Registers.StatScd
                | Bq769x0Registers.StatOcd | Bq769x0Registers.StatOvrdAlert);
        }

        private bool ReadTrim()
        {
            return ReadRegisters(Bq769x0Registers.AdcGain1, 2) && ReadRegisters(Bq769x0Registers.AdcGain2, 1);
        }

        // A chip that does not answer may be in SHIP mode: a rising edge on TS1 boots it.
        private bool WakeFromShipMode()
        {
            if (_bootPin == null)
            {
                return false;
            }
            _bootPin.Write(true);
            _delay.Wait_us(_bootPulse_us);
            _bootPin.Write(false);
            _delay.Wait_us(_bootWait_ms * 1000);
            return true;
        }

        private bool ReadMeasurements(CellMonitorReadings readings, int status, ref int faults)
        {
            bool[] segmentOk = _segmentOk;
            bool complete = true;
            for (int s = 0; s < _segmentCount; s++)
            {
                bool ok = ReadSegment(_segmentStart[s], _segmentLength[s]);
                segmentOk[s] = ok;
                if (!ok)
                {
                    complete = false;
                    faults |= CellMonitorFaults.CommunicationError;
                }
            }

            byte[] image = _scanImage;
            int stride = _stride;
            bool ccRead = segmentOk[_ccSegment];
            if (ccRead)
            {
                _registers[Bq769x0Registers.CcHi] = image[stride * Bq769x0Registers.CcHi];
                _registers[Bq769x0Registers.CcHi + 1] = image[stride * (Bq769x0Registers.CcHi + 1)];
            }
            bool currentValid = UpdateCurrent(readings, status, ccRead, ref faults);
            complete &= currentValid;

            // Voltages and temperatures count only once the chip is known to convert since its configuration.
            bool converting = _conversionSeen && _clock.Now_ms >= _adcValidFrom_ms;
            if (!converting)
            {
                return false;
            }

            int[] cellIndex = _cellIndex;
            int[] cellSegment = _cellSegment;
            int[] voltages = readings.CellVoltage_mV;
            bool[] cellValid = readings.CellValid;
            int gain_uV = _gain_uV;
            int offset_uV = _offset_mV * 1000;
            if (_allCellsSegment >= 0)
            {
                // Every cell came with one block read: all fresh or none.
                if (segmentOk[_allCellsSegment] && SameCellCodesAsDecoded(image, cellIndex, stride))
                {
                    Array.Copy(_decodedCell_mV, voltages, cellIndex.Length);
                    Array.Copy(_allTrue, cellValid, cellIndex.Length);
                    readings.ValidCellCount = cellIndex.Length;
                    readings.ValidCellSum_mV = _decodedSum_mV;
                    readings.HighestCell_mV = _decodedHighest_mV;
                    readings.HighestCellIndex = _decodedHighestIndex;
                    readings.LowestCell_mV = _decodedLowest_mV;
                    readings.LowestCellIndex = _decodedLowestIndex;
                    readings.CellSummaryKnown = true;
                }
                else if (segmentOk[_allCellsSegment])
                {
                    // The scan's cell summary in the same pass, so the firmware needs no pass of its own.
                    int sum = 0;
                    int highest = int.MinValue, lowest = int.MaxValue, highestIndex = -1, lowestIndex = -1;
                    for (int cell = 0; cell < cellIndex.Length; cell++)
                    {
                        int i = cellIndex[cell];
                        // Bq769x0Conversions.CellVoltage_mV in int: 14-bit code × at most 396 µV plus the offset fits.
                        int uV = (((image[i] & 0x3F) << 8) | image[i + stride]) * gain_uV + offset_uV;
                        int v = uV >= 0 ? (uV + 500) / 1000 : -((-uV + 500) / 1000);
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
                    Array.Copy(_allTrue, cellValid, cellIndex.Length);
                    readings.ValidCellCount = cellIndex.Length;
                    readings.ValidCellSum_mV = sum;
                    readings.HighestCell_mV = highest;
                    readings.HighestCellIndex = highestIndex;
                    readings.LowestCell_mV = lowest;
                    readings.LowestCellIndex = lowestIndex;
                    readings.CellSummaryKnown = true;
                    Array.Copy(image, _decodedImage, image.Length);
                    Array.Copy(voltages, _decodedCell_mV, cellIndex.Length);
                    _decodedSum_mV = sum;
                    _decodedHighest_mV = highest;
                    _decodedHighestIndex = highestIndex;
                    _decodedLowest_mV = lowest;
                    _decodedLowestIndex = lowestIndex;
                    _decodedCellsKnown = true;
                }
                else
                {
                    complete = false;
                }
            }
            else
            {
                for (int cell = 0; cell < cellIndex.Length; cell++)
                {
                    if (segmentOk[cellSegment[cell]])
                    {
                        int i = cellIndex[cell];
                        int uV = (((image[i] & 0x3F) << 8) | image[i + stride]) * gain_uV + offset_uV;
                        voltages[cell] = uV >= 0 ? (uV + 500) / 1000 : -((-uV + 500) / 1000);
                        cellValid[cell] = true;
                    }
                    else
                    {
                        complete = false;
                    }
                }
            }

            if (segmentOk[_stackSegment])
            {
                int raw = (image[stride * Bq769x0Registers.BatHi] << 8) | image[stride * (Bq769x0Registers.BatHi + 1)];
                readings.StackVoltage_mV = Bq769x0Conversions.StackVoltage_mV(raw, _gain_uV, _offset_mV, _cellCount);
                readings.StackVoltageValid = true;
            }
            else
            {
                complete = false;
            }

            int[] thermistorSegment = _thermistorSegment;
            int[] hint = _temperatureHint;
            int[] decodedCode = _decodedThermistorCode;
            for (int k = 0; k < thermistorSegment.Length; k++)
            {
                if (!segmentOk[thermistorSegment[k]])
                {
                    complete = false;
                    continue;
                }
                int i = stride * (Bq769x0Registers.Ts1Hi + 2 * k);
                int code = ((image[i] & 0x3F) << 8) | image[i + stride];
                if (code != decodedCode[k])
                {
                    int temperature_dC;
                    _decodedThermistorValid[k] = _thermistor.TryGetTemperatureFromDivider(
                        code * Bq769x0Registers.TsLsb_uV, // ThermistorVoltage_uV
                        _regulator_uV, _pullUp_ohm, ref hint[k], out temperature_dC);
                    _decodedThermistor_dC[k] = temperature_dC;
                    decodedCode[k] = code;
                }
                if (_decodedThermistorValid[k])
                {
                    readings.Temperature_dC[k] = _decodedThermistor_dC[k];
                    readings.TemperatureValid[k] = true;
                }
                else
                {
                    // an open / shorted thermistor: not a temperature
                    complete = false;
                }
            }
            return complete;
        }

        private bool SameCellCodesAsDecoded(byte[] image, int[] cellIndex, int stride)
        {
            if (!_decodedCellsKnown)
            {
                return false;
            }
            byte[] decoded = _decodedImage;
            for (int cell = 0; cell < cellIndex.Length; cell++)
            {
                int i = cellIndex[cell];
                if (image[i] != decoded[i] || image[i + stride] != decoded[i + stride])
                {
                    return false;
                }
            }
            return true;
        }

        private void ForgetDecodedValues()
        {
            _decodedCellsKnown = false;
            for (int k = 0; k < _decodedThermistorCode.Length; k++)
            {
                _decodedThermistorCode[k] = -1;
            }
        }

        // One scan read with bounded retries, into _scanImage at the register's own place (stride bytes per
        // register). With CRC the answer is checked where it landed instead of being copied byte by byte.
        private bool ReadSegment(int register, int count)
        {
            int readCount = count * _bytesPerDataByte;
            int start = register * _stride;
            _writeBuffer[0] = (byte)register;
            CellMonitorStatistics statistics = _statistics;
            byte[] image = _scanImage;
            for (int attempt = 0; attempt <= _retries; attempt++)
            {
                if (attempt > 0)
                {
                    statistics.Retries++;
                }
                statistics.Transfers++;
                statistics.BusBytes += ReadOverheadBytes + readCount;
                if (_device.WriteRead(_writeBuffer, 0, 1, image, start, readCount) != BusStatus.Ok)
                {
                    continue;
                }
                if (!_crc)
                {
                    return true;
                }
                // The first CRC covers address+R and the first data byte, each later CRC its own byte only.
                byte[] table = Crc8.Table;
                bool valid = image[start + 1] == table[_crcReadSeed ^ image[start]];
                int end = start + readCount;
                int i = start + 2;
                // Two registers per round (cells come in pairs): half the loop overhead per byte.
                for (; valid && i + 2 < end; i += 4)
                {
                    valid = image[i + 1] == table[image[i]] && image[i + 3] == table[image[i + 2]];
                }
                if (valid && i < end)
                {
                    valid = image[i + 1] == table[image[i]];
                }
                if (valid)
                {
                    return true;
                }
                statistics.CrcErrors++;
            }
            statistics.FailedTransfers++;
            return false;
        }

        // Takes a new coulomb-counter conversion when CC_READY says there is one, then decides whether the
        // present value is current enough to report.
        private bool UpdateCurrent(CellMonitorReadings readings, int status, bool ccRead, ref int faults)
        {
            long now = _clock.Now_ms;
            if (ccRead)
            {
                _current_mA = Bq769x0Conversions.Current_mA(
                    (_registers[Bq769x0Registers.CcHi] << 8) | _registers[Bq769x0Registers.CcHi + 1], _shunt_uOhm);
                if ((status & Bq769x0Registers.StatCcReady) != 0)
                {
                    _lastCcConversion_ms = now;
                    _conversionSeen = true;
                    if (!ClearStatusBits(Bq769x0Registers.StatCcReady))
                    {
                        faults |= CellMonitorFaults.CommunicationError;
                    }
                }
            }

            if (now - _lastCcConversion_ms > _currentMaxAge_ms)
            {
                // No conversion for too long: the chip stopped converting. Check whether it lost its configuration.
                _conversionSeen = false;
                faults |= CellMonitorFaults.DeviceFault;
                if (ReadRegisters(Bq769x0Registers.CellBal1, ConfigBlockLength - 1) && !ConfigurationMatchesMirror())
                {
                    faults |= RecoverFromReset();
                }
                return false;
            }
            // Between conversions the register still holds the latest one (what a re-read would return);
            // a conversion that is ready but could not be read makes the current invalid.
            if (!_conversionSeen || (!ccRead && (status & Bq769x0Registers.StatCcReady) != 0))
            {
                return false;
            }
            readings.Current_mA = _current_mA;
            readings.CurrentValid = true;
            return true;
        }

        private int RecoverFromReset()
        {
            _statistics.ResetsDetected++;
            int faults = CellMonitorFaults.DeviceReset;
            if (!Initialize())
            {
                faults |= CellMonitorFaults.CommunicationError;
            }
            return faults;
        }

        private static int DecodeStatus(int status)
        {
            int faults = CellMonitorFaults.None;
            if ((status & Bq769x0Registers.StatOv) != 0)
            {
                faults |= CellMonitorFaults.CellOverVoltage;
            }
            if ((status & Bq769x0Registers.StatUv) != 0)
            {
                faults |= CellMonitorFaults.CellUnderVoltage;
            }
            if ((status & Bq769x0Registers.StatScd) != 0)
            {
                faults |= CellMonitorFaults.ShortCircuit;
            }
            if ((status & Bq769x0Registers.StatOcd) != 0)
            {
                faults |= CellMonitorFaults.OverCurrentDischarge;
            }
            if ((status & Bq769x0Registers.StatOvrdAlert) != 0)
            {
                faults |= CellMonitorFaults.DeviceFault;
            }
            if ((status & Bq769x0Registers.StatDeviceXReady) != 0)
            {
                faults |= CellMonitorFaults.DeviceReset;
            }
            return faults;
        }

        private bool ReadStatus(out int status)
        {
            status = 0;
            if (!ReadRegisters(Bq769x0Registers.SysStat, 1))
            {
                return false;
            }
            status = _registers[Bq769x0Registers.SysStat];
            return true;
        }

        private bool ClearStatusBits(int bits)
        {
            _scratch[3] = (byte)bits;
            return WriteRegisters(Bq769x0Registers.SysStat, _scratch, 3, 1);
        }

        private bool ConfigurationMatches()
        {
            return ReadRegisters(Bq769x0Registers.CellBal1, ConfigBlockLength - 1) && ConfigurationMatchesMirror();
        }

        // Compares the mirrored registers 0x01..0x0B with what was written, on the bits the chip keeps as written.
        private bool ConfigurationMatchesMirror()
        {
            for (int register = Bq769x0Registers.CellBal1; register < ConfigBlockLength; register++)
            {
                int mask = WritableMask(register);
                if ((_registers[register] & mask) != (_configImage[register] & mask))
                {
                    return false;
                }
            }
            return true;
        }

        private static int WritableMask(int register)
        {
            switch (register)
            {
                case Bq769x0Registers.CellBal1:
                case Bq769x0Registers.CellBal2:
                case Bq769x0Registers.CellBal3:
                    return 0x00; // balancing changes at run time; SetBalancing checks it itself
                case Bq769x0Registers.SysCtrl1:
                    return Bq769x0Registers.Ctrl1AdcEn | Bq769x0Registers.Ctrl1TempSel;
                case Bq769x0Registers.SysCtrl2:
                    return Bq769x0Registers.Ctrl2CcEn | Bq769x0Registers.Ctrl2DelayDis; // FET bits follow protections
                case Bq769x0Registers.Protect1:
                    return 0x9F;
                case Bq769x0Registers.Protect2:
                    return 0x7F;
                case Bq769x0Registers.Protect3:
                    return 0xF0;
                case Bq769x0Registers.CcCfg:
                    return 0x3F;
                default:
                    return 0xFF;
            }
        }

        // One register read with bounded retries. The data lands in the register mirror at its own address (a
        // failed attempt may leave part of it there: nothing reads the mirror of a register whose read failed).
        private bool ReadRegisters(int register, int count)
        {
            return ReadRegisters(register, count, NoAttemptYet);
        }

        private const int NoAttemptYet = 0;
        private const int FirstAttemptBusError = 1;
        private const int FirstAttemptCrcError = 2;

        // The attempts of a read after <paramref name="firstAttempt"/> tells how the caller's own first attempt went.
        private bool ReadRegisters(int register, int count, int firstAttempt)
        {
            int readCount = count * _bytesPerDataByte;
            _writeBuffer[0] = (byte)register;
            CellMonitorStatistics statistics = _statistics;
            if (firstAttempt != NoAttemptYet)
            {
                statistics.Transfers++;
                statistics.BusBytes += ReadOverheadBytes + readCount;
                if (firstAttempt == FirstAttemptCrcError)
                {
                    statistics.CrcErrors++;
                }
            }
            for (int attempt = firstAttempt == NoAttemptYet ? 0 : 1; attempt <= _retries; attempt++)
            {
                if (attempt > 0)
                {
                    statistics.Retries++;
                }
                statistics.Transfers++;
                statistics.BusBytes += ReadOverheadBytes + readCount;
                if (!_crc)
                {
                    if (_device.WriteRead(_writeBuffer, 0, 1, _registers, register, count) == BusStatus.Ok)
                    {
                        return true;
                    }
                    continue;
                }
                if (_device.WriteRead(_writeBuffer, 0, 1, _readBuffer, 0, readCount) != BusStatus.Ok)
                {
                    continue;
                }
                // On a read the first CRC covers address+R and the first data byte, each later CRC its own byte
                // only. The table is indexed here: a call per byte would cost more than the lookup.
                byte[] table = Crc8.Table;
                byte[] answer = _readBuffer;
                byte[] registers = _registers;
                int value = answer[0];
                bool valid = answer[1] == table[_crcReadSeed ^ value];
                if (valid)
                {
                    registers[register] = (byte)value;
                    int r = register;
                    for (int i = 2; i < readCount; i += 2)
                    {
                        value = answer[i];
                        if (answer[i + 1] != table[value])
                        {
                            valid = false;
                            break;
                        }
                        registers[++r] = (byte)value;
                    }
                }
                if (valid)
                {
                    return true;
                }
                statistics.CrcErrors++;
            }
            statistics.FailedTransfers++;
            return false;
        }

        // One register write with bounded retries. With CRC the first CRC covers address+W, register and the
        // first data byte, each later CRC its own byte only.
        private bool WriteRegisters(int register, byte[] values, int offset, int count)
        {
            _writeBuffer[0] = (byte)register;
            int length = 1;
            for (int i = 0; i < count; i++)
            {
                byte value = values[offset + i];
                _writeBuffer[length++] = value;
                if (_crc)
                {
                    byte crc = i == 0
                        ? Crc8.Table[Crc8.Table[_crcWriteSeed ^ register] ^ value]
                        : Crc8.Table[value];
                    _writeBuffer[length++] = crc;
                }
            }
            for (int attempt = 0; attempt <= _retries; attempt++)
            {
                if (attempt > 0)
                {
                    _statistics.Retries++;
                }
                _statistics.Transfers++;
                _statistics.BusBytes += 1 + length;
                if (_device.Write(_writeBuffer, 0, length) == BusStatus.Ok)
                {
                    return true;
                }
            }
            _statistics.FailedTransfers++;
            return false;
        }

        // Groups the registers a scan needs into reads; a gap is read through when that costs fewer bytes
        // than starting another transaction.
        private int PlanReads()
        {
            var needed = new bool[MirroredRegisters];
            for (int cell = 0; cell < _cellCount; cell++)
            {
                MarkPair(needed, Bq769x0Registers.Vc1Hi + 2 * _cellInput[cell]);
            }
            MarkPair(needed, Bq769x0Registers.BatHi);
            for (int k = 0; k < _thermistorCount; k++)
            {
                MarkPair(needed, Bq769x0Registers.Ts1Hi + 2 * k);
            }
            MarkPair(needed, Bq769x0Registers.CcHi);

            int count = 0;
            int register = Bq769x0Registers.Vc1Hi;
            while (register < MirroredRegisters)
            {
                if (!needed[register])
                {
                    register++;
                    continue;
                }
                int start = register;
                int end = register; // last needed register of this read
                int probe = register + 1;
                while (probe < MirroredRegisters)
                {
                    if (needed[probe])
                    {
                        end = probe;
                        probe++;
                        continue;
                    }
                    int gapEnd = probe;
                    while (gapEnd < MirroredRegisters && !needed[gapEnd])
                    {
                        gapEnd++;
                    }
                    if (gapEnd >= MirroredRegisters || (gapEnd - probe) * _bytesPerDataByte > ReadOverheadBytes)
                    {
                        break;
                    }
                    probe = gapEnd;
                }
                _segmentStart[count] = start;
                _segmentLength[count] = end - start + 1;
                count++;
                register = end + 1;
            }
            return count;
        }

        private static void MarkPair(bool[] needed, int register)
        {
            needed[register] = true;
            needed[register + 1] = true;
        }

        private void ComputeCurrentProtection(Bq769x0Configuration configuration, out byte protect1, out byte protect2)
        {
            int scd_mV = (int)((long)configuration.ShortCircuitDischarge_mA * _shunt_uOhm / 1000000L);
            int ocd_mV = (int)((long)configuration.OverCurrentDischarge_mA * _shunt_uOhm / 1000000L);
            // The upper range (RSNS = 1) when both thresholds fit in it, for finer steps where they matter.
            bool high = scd_mV >= Bq769x0Registers.ScdThresholdHigh_mV[0] && ocd_mV >= Bq769x0Registers.OcdThresholdHigh_mV[0];
            int scd = IndexAtOrBelow(high ? Bq769x0Registers.ScdThresholdHigh_mV : Bq769x0Registers.ScdThresholdLow_mV, scd_mV);
            int ocd = IndexAtOrBelow(high ? Bq769x0Registers.OcdThresholdHigh_mV : Bq769x0Registers.OcdThresholdLow_mV, ocd_mV);
            int scdDelay = IndexAtOrBelow(Bq769x0Registers.ScdDelay_us, configuration.ShortCircuitDelay_us);
            int ocdDelay = IndexAtOrBelow(Bq769x0Registers.OcdDelay_ms, configuration.OverCurrentDischargeDelay_ms);
            protect1 = (byte)((high ? Bq769x0Registers.Protect1Rsns : 0) | (scdDelay << 3) | scd);
            protect2 = (byte)((ocdDelay << 4) | ocd);
        }

        // Index of the largest entry not above value (0 when every entry is above it).
        private static int IndexAtOrBelow(int[] ascending, int value)
        {
            int index = 0;
            for (int i = 0; i < ascending.Length; i++)
            {
                if (ascending[i] <= value)
                {
                    index = i;
                }
            }
            return index;
        }

        private static int[] CheckedInputs(int[] inputs, int cellCount, int groups)
        {
            if (inputs.Length != cellCount)
            {
                throw new ArgumentException("one input per cell is needed");
            }
            var copy = new int[cellCount];
            for (int i = 0; i < cellCount; i++)
            {
                if (inputs[i] < 0 || inputs[i] >= groups * 5 || (i > 0 && inputs[i] <= inputs[i - 1]))
                {
                    throw new ArgumentException("cell inputs must be increasing and inside the variant");
                }
                copy[i] = inputs[i];
            }
            return copy;
        }

        private void CheckReadings(CellMonitorReadings readings)
        {
            if (readings == null || readings.CellVoltage_mV.Length < _cellCount || readings.Temperature_dC.Length < _thermistorCount)
            {
                throw new ArgumentException("readings are smaller than this monitor's cell and temperature counts");
            }
        }
    }
}
