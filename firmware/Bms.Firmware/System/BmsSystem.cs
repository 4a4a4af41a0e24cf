using System;
using Bms.Drivers.CellMonitoring;
using Bms.Firmware.Balancing;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Contactors;
using Bms.Firmware.Estimation;
using Bms.Firmware.Events;
using Bms.Firmware.Limits;
using Bms.Firmware.Measurement;
using Bms.Firmware.Protection;
using Bms.Firmware.Safety;
using Bms.Firmware.Scheduling;
using Bms.Firmware.Storage;
using Bms.Hal;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// The whole BMS: the one composition that the device application, the replay harness and the benchmark
    /// all run. Three tasks on one deterministic scheduler:
    /// 10 ms — pack current and link voltage into the snapshot, over-current and short circuit, contactors;
    /// 100 ms — AFE scan into the snapshot, protection, thermal-runaway guard, state of charge, current limits;
    /// 1 s — balancing, internal-short screening, open-wire test, SoC persistence, fault-log flush.
    /// The acquisition steps are the only writers of <see cref="Snapshot"/>. Every event goes through one fan-out
    /// (protection state with the fault latch, fault log, external sink). Call <see cref="Start"/> once, then
    /// <see cref="Poll"/> at least every 10 ms. No allocation after <see cref="Start"/>. The hardware parts are
    /// taken from <see cref="BmsHardware"/> at construction.
    /// </summary>
    public sealed class BmsSystem : IPeriodicTask
    {
        /// <summary>Index of the 10 ms task in the scheduler.</summary>
        public const int FastTask = 0;
        /// <summary>Index of the 100 ms task.</summary>
        public const int MeasurementTask = 1;
        /// <summary>Index of the 1 s task.</summary>
        public const int SlowTask = 2;
        /// <summary>
        /// Release of the 1 s task after the 100 ms task's (ms): its long duties (open-wire check, up to 12.4 ms of
        /// conversion waits on an LTC681x chain) never share a poll with the AFE scan, so the 10 ms task released
        /// during either still meets its deadline.
        /// </summary>
        public const int SlowTaskOffset_ms = 50;
        /// <summary>Longest wait for a complete first scan before the estimator starts anyway.</summary>
        public const int EstimatorStartTimeout_ms = 2000;
        // Bytes of the state record copied and checked per 100 ms tick (about 1,100 IL instructions, so that no
        // tick carries much more than its usual work; none on the ticks that run the 1 s task): a 16-cell record
        // is written about 2 s after its serialisation, a 36-cell one about 5 s after.
        private const int PersistSliceBytes = 32;

        private readonly BmsHardware _hw;
        // The hardware parts the tasks use, in fields: one load each instead of two, no property call.
        private readonly ICellMonitor _monitor;
        private readonly bool _monitorHasCurrentSense;
        private readonly IPackCurrentSensor _currentSensor;
        private readonly ILinkVoltageSensor _linkVoltageSensor;
        private readonly ChemistryProfile _chemistry;
        private readonly int _cellCount;
        private readonly int _temperatureCount;
        private readonly int[] _temperatureChannel;
        private readonly int[] _temperatureSensorCell;
        private readonly int _openWireCheckPeriod_ms;
        private readonly int _socPersistPeriod_ms;

        private readonly MeasurementSnapshot _snapshot;
        private readonly CellMonitorReadings _readings;
        private readonly bool[] _openWires;
        private readonly int[] _cellSoc_pcm;

        private readonly ProtectionState _state;
        private readonly EventFanOut _events;
        private readonly ProtectionManager _protection;
        private readonly ContactorController _contactors;
        private readonly CurrentLimiter _limiter;
        private readonly PassiveBalancer _balancer;
        private readonly ThermalRunawayGuard _thermalRunaway;
        private readonly InternalShortDetector _internalShort;
        private readonly StateEstimator _estimator;
        private readonly PersistentRecordStore _stateRecord;
        private readonly byte[] _stateBuffer;
        private readonly FaultLog _faultLog;
        private readonly CyclicScheduler _scheduler;
        private readonly int _initialSoc_pcm;

        private bool _started;
        private bool _estimatorStarted;
        private long _startTime_ms;
        private bool _closeRequested;
        private long _lastOpenWireCheck_ms;
        private long _lastSocPersist_ms;
        private bool _openWireActive;
        // A state-record save begun by the 1 s task and not yet written.
        private bool _persisting;
        private int _openWireIndex;

        /// <summary>
        /// Builds the system. Throws <see cref="ArgumentException"/> with the reason when the configuration is
        /// invalid (any threshold outside the chemistry envelope) or does not match the hardware.
        /// </summary>
        public BmsSystem(BmsConfiguration config, BmsHardware hardware)
        {
            if (config == null) throw new ArgumentNullException("config");
            if (hardware == null) throw new ArgumentNullException("hardware");
            string problem = config.Validate();
            if (problem != null)
            {
                throw new ArgumentException("BMS configuration refused: " + problem);
            }
            if (hardware.Monitor == null || hardware.Clock == null || hardware.NegativeContactor == null
                || hardware.PositiveContactor == null || hardware.PrechargeRelay == null)
            {
                throw new ArgumentException("BMS hardware incomplete: Monitor, Clock and the three contactor outputs are required");
            }
            if (hardware.Monitor.CellCount != config.CellCount)
            {
                throw new ArgumentException("BMS configuration refused: CellCount " + config.CellCount.ToString() + " but the monitor has " + hardware.Monitor.CellCount.ToString());
            }
            _temperatureChannel = new int[config.TemperatureCount];
            for (int i = 0; i < config.TemperatureCount; i++)
            {
                int channel = config.TemperatureChannel != null ? config.TemperatureChannel[i] : i;
                if (channel < 0 || channel >= hardware.Monitor.TemperatureCount)
                {
                    throw new ArgumentException("BMS configuration refused: temperature " + i.ToString() + " maps to channel " + channel.ToString() + " but the monitor has " + hardware.Monitor.TemperatureCount.ToString());
                }
                _temperatureChannel[i] = channel;
            }

            _temperatureSensorCell = new int[config.TemperatureCount];
            for (int i = 0; i < config.TemperatureCount; i++)
            {
                _temperatureSensorCell[i] = config.TemperatureSensorCell != null ? config.TemperatureSensorCell[i] : -1;
            }
            _hw = hardware;
            _monitor = hardware.Monitor;
            _monitorHasCurrentSense = hardware.Monitor.HasCurrentSense;
            _currentSensor = hardware.CurrentSensor;
            _linkVoltageSensor = hardware.LinkVoltageSensor;
            _chemistry = config.Chemistry;
            _cellCount = config.CellCount;
            _temperatureCount = config.TemperatureCount;
            _openWireCheckPeriod_ms = config.OpenWireCheckPeriod_ms;
            _socPersistPeriod_ms = config.SocPersistPeriod_ms;
            _initialSoc_pcm = config.InitialSoc_pcm;

            _snapshot = new MeasurementSnapshot(_cellCount, _temperatureCount);
            _readings = new CellMonitorReadings(hardware.Monitor.CellCount, hardware.Monitor.TemperatureCount);
            _openWires = new bool[_cellCount + 1];
            _cellSoc_pcm = new int[_cellCount];

            _state = new ProtectionState();
            _events = new EventFanOut(_state);

            ProtectionConfiguration protection = config.EffectiveProtection();
            _protection = new ProtectionManager(protection, _cellCount, _temperatureCount, _events);
            _limiter = new CurrentLimiter(config.EffectiveLimits(protection));
            _contactors = new ContactorController(config.EffectiveContactors(), hardware.NegativeContactor, hardware.PositiveContactor,
                hardware.PrechargeRelay, hardware.NegativeFeedback, hardware.PositiveFeedback, _events);
            _balancer = new PassiveBalancer(config.EffectiveBalancing(), hardware.Monitor, _cellCount);
            _thermalRunaway = new ThermalRunawayGuard(config.EffectiveThermalRunaway(), _cellCount, _temperatureCount, _events);
            _internalShort = new InternalShortDetector(config.EffectiveInternalShort(), _cellCount, _events);
            _estimator = new StateEstimator(_chemistry, _cellCount, config.Capacity_mAh);
            _stateBuffer = new byte[_estimator.PersistedStateSize];
            if (hardware.Storage != null)
            {
                // Layout: estimator-state record (two copies), then the fault log ring.
                int recordSize = PersistentRecordStore.StorageSize(_stateBuffer.Length);
                if ((long)config.StateRecordAddress + recordSize > hardware.Storage.Size)
                {
                    throw new ArgumentException("BMS configuration refused: storage of " + hardware.Storage.Size.ToString() + " bytes cannot hold the " + recordSize.ToString() + "-byte state record at " + config.StateRecordAddress.ToString());
                }
                _stateRecord = new PersistentRecordStore(hardware.Storage, config.StateRecordAddress, _stateBuffer.Length);
                int logAddress = config.FaultLogAddress >= 0 ? config.FaultLogAddress : config.StateRecordAddress + recordSize;
                int slots = config.FaultLogSlots;
                long room = ((long)hardware.Storage.Size - logAddress) / FaultRecord.Size;
                if (slots > room)
                {
                    slots = (int)room;
                }
                long logEnd = (long)logAddress + (long)slots * FaultRecord.Size;
                if (slots >= 2 && logAddress < config.StateRecordAddress + recordSize && logEnd > config.StateRecordAddress)
                {
                    throw new ArgumentException("BMS configuration refused: FaultLogAddress " + logAddress.ToString() + " overlaps the state record at " + config.StateRecordAddress.ToString());
                }
                if (slots >= 2)
                {
                    _faultLog = new FaultLog(hardware.Storage, logAddress, slots, _snapshot);
                    _events.SetFaultLog(_faultLog);
                }
                else if (config.FaultLogSlots > 0)
                {
                    Log("BMS: storage too small for a fault log");
                }
            }

            _scheduler = new CyclicScheduler(hardware.Clock, hardware.Watchdog);
            // The 10 ms task is the system itself (IPeriodicTask.Run): one call less on the path run 10 times a tick.
            _scheduler.AddTask(this, 10, 0);
            _scheduler.AddTask(new MeasurementTaskBody(this), 100, 0);
            _scheduler.AddTask(new SlowTaskBody(this), 1000, 0, SlowTaskOffset_ms);
        }

        // ---- public surface ------------------------------------------------------------------------------

        /// <summary>
        /// Initialises the AFE, loads the persisted estimator state, releases the tasks and runs their first
        /// activation (the first scan). The state of charge starts (configured, persisted or from the OCV) on the
        /// first complete scan. The contactors stay open until <see cref="RequestClose"/>.
        /// </summary>
        public void Start()
        {
            if (_started)
            {
                throw new InvalidOperationException("Start called twice");
            }
            long now = _hw.Clock.Now_ms;
            if (!_monitor.Initialize())
            {
                Log("BMS: cell monitor did not initialise; measurements stay invalid until it answers");
            }
            _protection.Start(now);

            if (_initialSoc_pcm < 0 && _stateRecord != null)
            {
                if (_stateRecord.Load(_stateBuffer, 0) && !_estimator.RestoreState(_stateBuffer, 0, _stateBuffer.Length))
                {
                    Log("BMS: persisted estimator state refused (other pack layout or implausible)");
                }
            }
            if (_stateRecord != null && !_stateRecord.SlotsLocated)
            {
                // Now rather than at the first save, which would then read and check both copies inside a tick.
                _stateRecord.LocateNewest();
            }
            _startTime_ms = now;
            _lastOpenWireCheck_ms = now;
            _lastSocPersist_ms = now;
            Log("BMS: started");
            _scheduler.Start();
            _started = true;
            // First activation of the 10 ms and 100 ms tasks now (the 1 s task follows at its offset), so the first
            // Poll of the caller is never late.
            _scheduler.Poll();
        }

        /// <summary>Runs every task that is due per the clock. Call at least every 10 ms.</summary>
        public void Poll()
        {
            _scheduler.Poll();
        }

        /// <summary>Vehicle request to close the contactors; honoured only while no fault is latched.</summary>
        public void RequestClose()
        {
            if (!_state.FaultLatched)
            {
                _closeRequested = true;
            }
        }

        /// <summary>Vehicle request to open the contactors (current-aware, bounded wait).</summary>
        public void RequestOpen()
        {
            _closeRequested = false;
        }

        /// <summary>true while the vehicle's close request stands (a fault withdraws it).</summary>
        public bool CloseRequested { get { return _closeRequested; } }

        /// <summary>
        /// Clears latched faults when it is safe: contactors open and not welded, and no fault condition of any
        /// part still present (the thermal-runaway guard's own latch included). false, changing nothing that
        /// matters, otherwise. After a reset the contactors close only on a new <see cref="RequestClose"/>.
        /// </summary>
        public bool ResetFaults()
        {
            long now = _hw.Clock.Now_ms;
            if (!_contactors.SafeForReset)
            {
                return false;
            }
            if (!_thermalRunaway.TryReset(now))
            {
                return false;
            }
            if (!_state.TryReset())
            {
                return false;
            }
            _internalShort.Reset(now);
            _contactors.ResetFault(now);
            return true;
        }

        /// <summary>Sets the external event sink (telemetry, replay report); null removes it.</summary>
        public void SetEventSink(IBmsEventSink external)
        {
            _events.SetExternal(external);
        }

        /// <summary>The measurement snapshot (read only for callers).</summary>
        public MeasurementSnapshot Snapshot { get { return _snapshot; } }

        /// <summary>
        /// Pack state of charge, 0..100000 pcm. Before the estimator has started on the first complete scan (an AFE
        /// whose first scan after configuration is not valid yet delays it by a 100 ms tick) this is the configured
        /// initial SoC, or -1 (unknown) when the SoC is to come from the persisted state or the OCV.
        /// </summary>
        public int PackSoc_pcm { get { return _estimatorStarted ? _estimator.PackSoc_pcm : _initialSoc_pcm; } }

        /// <summary>
        /// The cell a temperature sensor sits on (configured mapping), -1 when not on a cell or unknown. Temperature
        /// events carry the sensor index; this maps it to a cell for display and diagnosis.
        /// </summary>
        public int GetTemperatureSensorCell(int sensor) { return _temperatureSensorCell[sensor]; }

        /// <summary>true once the estimator runs (see <see cref="PackSoc_pcm"/>).</summary>
        public bool SocKnown { get { return _estimatorStarted; } }

        /// <summary>State of the contactors.</summary>
        public ContactorState Contactors { get { return _contactors.State; } }

        /// <summary>Allowed charge current (mA, ≥ 0), refreshed every 100 ms.</summary>
        public int ChargeLimit_mA { get { return _limiter.ChargeLimit_mA; } }

        /// <summary>Allowed discharge current magnitude (mA, ≥ 0), refreshed every 100 ms.</summary>
        public int DischargeLimit_mA { get { return _limiter.DischargeLimit_mA; } }

        /// <summary>Cells whose balancing resistor is on (as accepted by the AFE). Read only for callers.</summary>
        public bool[] BalancingCells { get { return _balancer.ActiveCells; } }

        /// <summary>Fault while a fault is latched, otherwise the highest active level of any event.</summary>
        public ProtectionLevel HighestActiveLevel { get { return _state.HighestActiveLevel; } }

        /// <summary>true while a fault is latched.</summary>
        public bool FaultLatched { get { return _state.FaultLatched; } }

        /// <summary>Task activations that missed their deadline or were skipped.</summary>
        public long TaskOverruns { get { return _scheduler.TaskOverruns; } }

        /// <summary>Watchdog kicks.</summary>
        public long WatchdogKicks { get { return _scheduler.WatchdogKicks; } }

        /// <summary>Scheduler polls that ran at least one task.</summary>
        public long Ticks { get { return _scheduler.Ticks; } }

        /// <summary>Events raised or cleared since construction.</summary>
        public long EventCount { get { return _events.EventCount; } }

        /// <summary>The latch and per-code levels.</summary>
        public ProtectionState ProtectionState { get { return _state; } }

        /// <summary>The three-level protection.</summary>
        public ProtectionManager Protection { get { return _protection; } }

        /// <summary>The contactor sequence.</summary>
        public ContactorController ContactorController { get { return _contactors; } }

        /// <summary>The current limiter (with its derating factors).</summary>
        public CurrentLimiter Limiter { get { return _limiter; } }

        /// <summary>The balancer (with per-cell balancing time).</summary>
        public PassiveBalancer Balancer { get { return _balancer; } }

        /// <summary>The thermal-runaway guard.</summary>
        public ThermalRunawayGuard ThermalRunawayGuard { get { return _thermalRunaway; } }

        /// <summary>The internal-short screening.</summary>
        public InternalShortDetector InternalShortDetector { get { return _internalShort; } }

        /// <summary>The state-of-charge / state-of-health estimator.</summary>
        public StateEstimator Estimator { get { return _estimator; } }

        /// <summary>The fault log (null when there is no storage or no room for it).</summary>
        public FaultLog FaultLog { get { return _faultLog; } }

        /// <summary>The persisted estimator-state record (null without storage).</summary>
        public PersistentRecordStore StateRecord { get { return _stateRecord; } }

        /// <summary>Writes the estimator state now (e.g. before a controlled power-down). false without storage or on failure.</summary>
        public bool PersistState()
        {
            if (_stateRecord == null || !_estimatorStarted)
            {
                return false;
            }
            _estimator.SerializeState(_stateBuffer, 0);
            _persisting = false;
            return _stateRecord.Save(_stateBuffer, 0);
        }

        /// <summary>The scheduler (per-task run times and overruns).</summary>
        public CyclicScheduler Scheduler { get { return _scheduler; } }

        // ---- tasks ---------------------------------------------------------------------------------------

        // The 10 ms task: pack current and link voltage, over-current and short circuit, contactors.
        void IPeriodicTask.Run(long now_ms)
        {
            // Acquisition of the current and the link voltage (the only writer of those snapshot fields), inline:
            // this runs 10 times per 100 ms.
            MeasurementSnapshot snapshot = _snapshot;
            int current;
            if (_monitorHasCurrentSense)
            {
                CellMonitorReadings readings = _readings;
                if (_monitor.ReadCurrent(readings) && readings.CurrentValid)
                {
                    snapshot.Current_mA = readings.Current_mA;
                    snapshot.CurrentValid = true;
                }
                else
                {
                    snapshot.CurrentValid = false;
                }
            }
            else if (_currentSensor != null && _currentSensor.TryRead(out current))
            {
                snapshot.Current_mA = current;
                snapshot.CurrentValid = true;
            }
            else
            {
                snapshot.CurrentValid = false;
            }
            snapshot.CurrentTime_ms = now_ms;

            int link;
            if (_linkVoltageSensor != null && _linkVoltageSensor.TryRead(out link))
            {
                snapshot.LinkVoltage_mV = link;
                snapshot.LinkVoltageValid = true;
            }
            else
            {
                snapshot.LinkVoltageValid = false;
            }

            _protection.UpdateCurrent(snapshot, now_ms);
            bool faultLatched = _state.FaultLatched;
            if (faultLatched)
            {
                _closeRequested = false;
            }
            _contactors.Step(now_ms, _closeRequested, faultLatched, snapshot);
        }

        private void RunMeasurement(long now_ms)
        {
            // Not in a 100 ms tick that also runs the 1 s task (released before the next 100 ms activation, or
            // overdue): that tick is long already.
            if (_persisting && _scheduler.GetNextRelease_us(SlowTask) / 1000 - now_ms >= 100)
            {
                _persisting = !_stateRecord.ContinueSave(PersistSliceBytes);
            }
            AcquireCells(now_ms);
            // The guard judges every thermistor's plausibility on the raw readings first; a sensor it found implausible
            // (open, shorted, frozen, impossible step) then counts as invalid for protection, limits and estimation,
            // so a broken thermistor raises SensorFault instead of a false over/under-temperature trip.
            _thermalRunaway.Update100ms(_snapshot);
            ExcludeFaultyTemperatureSensors();
            _protection.UpdateCells(_snapshot, now_ms);
            if (_estimatorStarted)
            {
                _estimator.Update100ms(_snapshot);
            }
            else
            {
                StartEstimatorWhenMeasured(now_ms);
            }
            // The extremes the protection just found in this snapshot: the limiter need not scan the cells again.
            ProtectionManager protection = _protection;
            _limiter.Update(protection.HighestCell_mV, protection.LowestCell_mV, protection.HottestTemperature_dC,
                protection.ColdestTemperature_dC, _temperatureCount, PackSoc_pcm, DirectionLevels.Charge(_state),
                DirectionLevels.Discharge(_state), _contactors.State == ContactorState.Closed);
        }

        private void ExcludeFaultyTemperatureSensors()
        {
            // Unreadable channels are already invalid, and a channel that reads again delivers a real value at once
            // (so the measurement-loss timeout clears with the communication); only implausible values are dropped.
            for (int i = 0; i < _temperatureCount; i++)
            {
                TemperatureSensorFault fault = _thermalRunaway.GetSensorFault(i);
                if (fault != TemperatureSensorFault.None && fault != TemperatureSensorFault.Unreadable)
                {
                    _snapshot.TemperatureValid[i] = false;
                }
            }
        }

        private void RunSlow(long now_ms)
        {
            if (_estimatorStarted)
            {
                _estimator.Update1s(_snapshot);
            }
            int soc = PackSoc_pcm;
            _internalShort.Update1s(_snapshot, _chemistry.OcvSlope_uV_per_pct(soc < 0 ? 50000 : soc, MeanTemperature_dC()));

            bool balancingAllowed = !_state.FaultLatched && _state.HighestActiveLevel < ProtectionLevel.Alarm;
            // Only SoC balancing reads the cells' SoC: a call per cell saved every second otherwise.
            if (_balancer.DecidesBySoc)
            {
                for (int i = 0; i < _cellCount; i++)
                {
                    _cellSoc_pcm[i] = _estimatorStarted ? _estimator.GetCellSoc_pcm(i) : 50000;
                }
            }
            _balancer.Update(now_ms, _snapshot, _cellSoc_pcm, balancingAllowed);

            bool openWireWork = false;
            if (_openWireCheckPeriod_ms > 0 && now_ms - _lastOpenWireCheck_ms >= _openWireCheckPeriod_ms)
            {
                // One-shot, not in halves a second apart (IStepwiseOpenWireCheck): a wire found a second later lets
                // the distorted readings beside it trip over/under-voltage first.
                _lastOpenWireCheck_ms = now_ms;
                ApplyOpenWireVerdict(now_ms, _monitor.CheckOpenWires(_openWires));
                openWireWork = true;
            }
            // A save still being written (a period shorter than its slices) is finished first: one begun now would
            // abandon it, and a period that short would then never write anything. Not in a run that does open-wire
            // work (both are due every minute): the safety check keeps its time, the save waits a second.
            if (_estimatorStarted && _stateRecord != null && _socPersistPeriod_ms > 0 && !_persisting && !openWireWork
                && now_ms - _lastSocPersist_ms >= _socPersistPeriod_ms)
            {
                _lastSocPersist_ms = now_ms;
                _estimator.SerializeState(_stateBuffer, 0);
                // Copied, checked and written a slice per 100 ms tick (ContinuePersisting), not in this one.
                _stateRecord.BeginSave(_stateBuffer, 0);
                _persisting = true;
            }
            if (_faultLog != null)
            {
                _faultLog.StateOfCharge_pcm = soc;
                _faultLog.Flush();
            }
        }

        // ---- acquisition (the only writer of the snapshot) ------------------------------------------------

        private void AcquireCells(long now_ms)
        {
            // No InvalidateAll here: every ICellMonitor.Measure marks all values invalid before it reads (the
            // interface promises that a value it could not read is invalid), so a second pass would be wasted.
            CellMonitorReadings readings = _readings;
            MeasurementSnapshot snapshot = _snapshot;
            bool ok = _monitor.Measure(readings);
            if ((readings.Faults & CellMonitorFaults.DeviceReset) != 0)
            {
                // The chip lost its configuration; this scan's values are still marked by the driver.
                _monitor.Initialize();
            }
            // A cell whose sense wire (below: wire i, above: wire i + 1) is open reads a distorted voltage: after
            // OpenWire is raised it is no measurement for protection, estimation or the guard.
            snapshot.CopyCells(readings, _openWireActive ? _openWires : null);
            bool allCells = snapshot.ValidCellCount == _cellCount;
            int sum = snapshot.ValidCellSum_mV;
            bool[] readTemperatureValid = readings.TemperatureValid;
            int[] readTemperature = readings.Temperature_dC;
            bool[] temperatureValid = snapshot.TemperatureValid;
            int[] temperature = snapshot.Temperature_dC;
            int[] channels = _temperatureChannel;
            int temperatureCount = _temperatureCount;
            for (int i = 0; i < temperatureCount; i++)
            {
                int channel = channels[i];
                if (readTemperatureValid[channel])
                {
                    temperatureValid[i] = true;
                    temperature[i] = readTemperature[channel];
                }
                else
                {
                    temperatureValid[i] = false;
                }
            }
            if (readings.StackVoltageValid)
            {
                snapshot.StackVoltage_mV = readings.StackVoltage_mV;
                snapshot.StackVoltageValid = true;
            }
            else if (allCells)
            {
                snapshot.StackVoltage_mV = sum;
                snapshot.StackVoltageValid = true;
            }
            else
            {
                snapshot.StackVoltageValid = false;
            }
            snapshot.TemperaturesHeld = readings.TemperaturesHeld;
            snapshot.AfeFaults = readings.Faults;
            snapshot.AfeScanOk = ok;
            snapshot.Time_ms = now_ms;
        }

        // The estimator starts from the first scan in which every cell was read (its OCV start needs them), or
        // after the measurement timeout with whatever there is, so the SoC never starts from an unread AFE.
        private void StartEstimatorWhenMeasured(long now_ms)
        {
            bool allCells = true;
            for (int i = 0; i < _cellCount; i++)
            {
                if (!_snapshot.CellValid[i])
                {
                    allCells = false;
                    break;
                }
            }
            if (!allCells && now_ms - _startTime_ms < EstimatorStartTimeout_ms)
            {
                return;
            }
            _estimator.Start(_snapshot, _initialSoc_pcm);
            _estimatorStarted = true;
        }

        private void ApplyOpenWireVerdict(long now_ms, bool complete)
        {
            if (!complete)
            {
                return;
            }
            int open = -1;
            for (int i = 0; i < _openWires.Length; i++)
            {
                if (_openWires[i])
                {
                    open = i;
                    break;
                }
            }
            if (open >= 0 && !_openWireActive)
            {
                _openWireActive = true;
                _openWireIndex = open;
                _events.OnEvent(now_ms, BmsEventCode.OpenWire, ProtectionLevel.Fault, open, true);
            }
            else if (open < 0 && _openWireActive)
            {
                _openWireActive = false;
                _events.OnEvent(now_ms, BmsEventCode.OpenWire, ProtectionLevel.Fault, _openWireIndex, false);
            }
        }

        private int MeanTemperature_dC()
        {
            long sum = 0;
            int count = 0;
            for (int i = 0; i < _temperatureCount; i++)
            {
                if (_snapshot.TemperatureValid[i])
                {
                    sum += _snapshot.Temperature_dC[i];
                    count++;
                }
            }
            return count == 0 ? 250 : (int)(sum / count);
        }

        private void Log(string text)
        {
            if (_hw.Log != null)
            {
                _hw.Log.WriteLine(text);
            }
        }

        private sealed class MeasurementTaskBody : IPeriodicTask
        {
            private readonly BmsSystem _system;
            public MeasurementTaskBody(BmsSystem system) { _system = system; }
            public void Run(long release_ms) { _system.RunMeasurement(release_ms); }
        }

        private sealed class SlowTaskBody : IPeriodicTask
        {
            private readonly BmsSystem _system;
            public SlowTaskBody(BmsSystem system) { _system = system; }
            public void Run(long release_ms) { _system.RunSlow(release_ms); }
        }
    }
}
