using Bms.Firmware.Chemistry;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Estimation
{
    /// <summary>
    /// Per-cell state of charge and pack state of health, in integer fixed point.
    /// </summary>
    /// <remarks>
    /// <para>Model per cell: an R0 + R1||C1 equivalent circuit with the chemistry profile's OCV table. The state
    /// is [SoC, V1, current-sensor offset b]; the filter is an extended Kalman filter whose measurement is the
    /// cell voltage y = OCV(SoC, T) + V1 + R0·(I − b) with H = [dOCV/dSoC, 1, −R0].</para>
    /// <para>Coulomb counting is exact: the remaining charge is kept in µA·ms in a long, and every increment
    /// (I in µA × Δt in ms) is an integer, so nothing below the LSB is ever dropped, however long the run. Series
    /// cells share one current, so the pack's charge is counted once per tick; each cell takes the pack's charge since
    /// its last step, less its own offset's share, at its step (and <see cref="GetCellCharge_uAms"/>,
    /// <see cref="GetCellSoc_pcm"/> and the saved record add it on the fly), so no tick loops over the cells.</para>
    /// <para>Schedule: each cell's turn (coulomb count, prediction, voltage update, conditioning, calibration,
    /// resistance sample) comes once per 2 s period; a cursor walks the cells, at most ceil(cells × tick / 1.8 s) per
    /// tick, none in the tick of the 1 s task (state of health, saves). For 2 s after start every cell steps every
    /// tick, so the linearisation follows a 30 % start error in.</para>
    /// <para>Units inside the filter: SoC in nano-SoC (1e9 = 100 %), V1 in µV, b in nA; covariance in those units
    /// squared, held below 2^61. F and H are binary fractions (31-bit mantissa and a shift; τ/(τ+dt) in Q31, dOCV/dSoC
    /// in Q32, R0 and R1·η'·(1 − a) in Q40) and the gains ratios of the innovation variance, so each covariance product
    /// is two 64-bit multiplies (<see cref="FixedMath.MulShift"/>); only time updates over very long gaps or with
    /// implausible tables take the 128-bit <see cref="FixedMath.MulDiv"/> path.</para>
    /// <para>Noise densities are per second (see <see cref="SocFilterTuning"/>) and scaled by the actual step, so
    /// 100 ms ticks, 1 s ticks, samples held over several ticks and gaps give the same estimate.</para>
    /// <para>Pack SoC as vehicles are told: 0 % when the weakest cell is empty, 100 % when the first cell is full:
    /// SoC_pack = min / (min + (100 % − max)), over the exact counts now of the extreme cells (kept as cells step:
    /// ranked by their charge less the pack's count at their step, which between steps only the offsets' shares
    /// move), so the figure never lags the count.</para>
    /// </remarks>
    public sealed class StateEstimator
    {
        /// <summary>nano-SoC per 100 %.</summary>
        public const long FullScale_nSoC = 1000000000L;
        private const int FullScale_pcm = 100000;
        private const long MaxCurrentHold_ms = 2000;
        private const int MinMeasurementInterval_ms = 10;
        private const int MaxMeasurementInterval_ms = 2000;
        // Round-robin Kalman schedule: each cell's coulomb count, covariance/polarisation propagation, voltage update,
        // calibration and resistance sample run once per period. A cursor walks the cells in order and steps at most
        // ceil(cells × tick / period) of them per tick, so the steps spread evenly over the ticks of a second from the
        // first tick on (and again after a gap), whatever the tick rate.
        private const long KalmanPeriod_ms = 2000;
        private const long KalmanSlack_ms = 50; // half a tick: a 100 ms tick that is a few ms early still counts
        // Right after start the filter is still far off (the start SoC may be 30 % wrong) and the first voltages are
        // often a rest: for the first 2 s every cell steps every tick (a start-up burst of cells × one step per tick,
        // 20 ticks), so the linearisation follows the state as it converges. With one cell per tick instead, the
        // start error that survived into the slow (weakly observable) phase cost 0.4 % RMSE on the 30Q 4C recording.
        private const long StartPhase_ms = 2000;
        private readonly ChemistryProfile _profile;
        private readonly int _cellCount;
        private readonly int _capacity_mAh;
        // nSoC = charge_uAms * 10 / _q36 ; charge_uAms = nSoC * _q36 / 10
        private readonly long _q36;
        private readonly long _pcmCharge_uAms; // charge per pcm of SoC: q36·1000
        private readonly long _fullCharge_uAms;
        private readonly long _oneC_uA;
        private readonly long _restCurrent_uA;
        private readonly long _lowCharge_uAms, _highCharge_uAms; // the charge is held within −5..105 %

        // Filter state per cell.
        private readonly long[] _charge_uAms;
        private readonly long[] _v1_uV;
        private readonly long[] _bias_nA; // nano-ampere: a per-tick correction is far below 1 µA
        private readonly long[] _biasChargeRemainder_nAms; // sub-µA·ms part of the offset's charge, carried over
        private readonly long[] _pSS, _pSV, _pSB, _pVV, _pVB, _pBB;
        // Kept roots: σ = floor(√p) of the variance p it was taken of (the conditioning bounds σ from them).
        private readonly long[] _sigmaS, _sigmaV, _sigmaB, _rootOfS, _rootOfV, _rootOfB;
        private int _sigmaRecordCell; // the cell whose σ the record gets next (one a second)
        private readonly int[] _soc_pcm;
        // Round-robin bookkeeping: pack-wide running integrals of time and measured charge, and per cell the marks at
        // its last Kalman step, so the step integrates exactly over the interval since then.
        private long _integratedTime_ms;
        private long _integratedCharge_uAms;
        private readonly long[] _markTime_ms;
        private readonly long[] _markCharge_uAms;
        private readonly long[] _pendingGapVariance; // nSoC², from current gaps since the cell's last step
        private readonly long[] _kalmanTime_ms;      // voltage time of the cell's last Kalman step
        private int _nextCell;                       // round-robin cursor: the next cell to step
        private long _fsbInterval_ms = -1, _fsb;     // F's SoC-per-offset term for the last interval, as a fraction
        private int _fsbShift;
        private long _startTime_ms;
        private const long SecondPeriod_ms = 1000;
        private bool _secondSeen;   // Update1s is called: its tick is kept free of Kalman steps
        private long _lastSecond_ms;
        private long _temperatureTime_ms; // voltage time of the last mean-temperature update
        private long _biasSum_nA;                    // Σ _bias_nA, kept with every change (mean offset for rest detection)
        // Pack SoC from the cells' extremes, kept as cells step (a cell's SoC changes only at its step).
        // Pack SoC from the cells' extremes: the extreme cells are kept as cells step, their SoC is taken exactly
        // (as GetCellSoc_pcm) when the pack SoC is read, so it never lags the count.
        private long _minKey, _maxKey;
        private readonly long[] _rankKey; // per cell: (charge − pack count) at its step, in units of 2^_rankShift µA·ms
        private readonly int _rankShift;  // the largest binary unit not above 1 pcm of charge
        private int _minCell, _maxCell, _packSoc_pcm;

        // Inputs held between ticks.
        private bool _started;
        private long _lastCurrentTime_ms;
        private long _lastVoltageTime_ms;
        private long _current_uA;
        private bool _haveCurrent;
        private int _temperature_dC = 250;
        private long _restTime_ms;
        private long _throughputNet_uAms;

        // State of health.
        private readonly int[] _capacitySoh_pcm;
        private readonly int[] _capacityEstimates;
        private readonly bool[] _anchorValid;
        private readonly int[] _anchorSoc_pcm;
        private readonly long[] _anchorThroughput_uAms;
        private readonly bool[] _restPointTaken;
        private readonly int[] _resistanceSoh_pcm;
        private readonly int[] _resistanceSamples;
        private readonly long[] _pendingRatioSum_pcm;
        private readonly int[] _pendingRatioCount;
        private readonly int[] _lastCellVoltage_mV;
        // Per cell, the current at its previous step (ΔV/ΔI between consecutive steps, about 1 s apart).
        private readonly bool[] _stepPairValid;
        private readonly long[] _stepPairTime_ms;
        private readonly long[] _stepPairCurrent_uA;
        private readonly int[] _calibrationFlag; // 0 none, 1 full, 2 empty (pending for SoH)

        private readonly byte[] _image;   // the persisted record, kept current field by field (see SerializeState)
        private bool _sohWorkPending;     // a resistance ratio or a calibration anchor waits for Update1s
        private bool _restPointsAllTaken; // during this rest, every cell's rest point is taken

        // Restored from non-volatile storage, used by Start(…, -1).
        private bool _restored;

        /// <summary>Allocates every buffer once; nothing is allocated per update.</summary>
        public StateEstimator(ChemistryProfile profile, int cellCount, int capacity_mAh)
        {
            if (profile == null) throw new System.ArgumentNullException("profile");
            if (cellCount < 1) throw new System.ArgumentOutOfRangeException("cellCount");
            if (capacity_mAh < 1 || capacity_mAh > 2000000) throw new System.ArgumentOutOfRangeException("capacity_mAh");
            _profile = profile;
            _cellCount = cellCount;
            _capacity_mAh = capacity_mAh;
            _q36 = (long)capacity_mAh * 36;
            _pcmCharge_uAms = _q36 * 1000;
            _fullCharge_uAms = (long)capacity_mAh * 3600000000L;
            _oneC_uA = (long)capacity_mAh * 1000;
            _restCurrent_uA = _oneC_uA * SocFilterTuning.RestCurrent_mC / 1000;
            _lowCharge_uAms = -_fullCharge_uAms / 20;
            _highCharge_uAms = _fullCharge_uAms + _fullCharge_uAms / 20;
            _charge_uAms = new long[cellCount];
            _v1_uV = new long[cellCount];
            _bias_nA = new long[cellCount];
            _biasChargeRemainder_nAms = new long[cellCount];
            _pSS = new long[cellCount]; _pSV = new long[cellCount]; _pSB = new long[cellCount];
            _pVV = new long[cellCount]; _pVB = new long[cellCount]; _pBB = new long[cellCount];
            _sigmaS = new long[cellCount]; _sigmaV = new long[cellCount]; _sigmaB = new long[cellCount];
            _rootOfS = new long[cellCount]; _rootOfV = new long[cellCount]; _rootOfB = new long[cellCount];
            _soc_pcm = new int[cellCount];
            _rankKey = new long[cellCount];
            int rankShift = 0;
            while ((2L << rankShift) <= _fullCharge_uAms / FullScale_pcm) rankShift++;
            _rankShift = rankShift;
            _markTime_ms = new long[cellCount];
            _markCharge_uAms = new long[cellCount];
            _pendingGapVariance = new long[cellCount];
            _kalmanTime_ms = new long[cellCount];
            _capacitySoh_pcm = new int[cellCount];
            _capacityEstimates = new int[cellCount];
            _anchorValid = new bool[cellCount];
            _anchorSoc_pcm = new int[cellCount];
            _anchorThroughput_uAms = new long[cellCount];
            _restPointTaken = new bool[cellCount];
            _resistanceSoh_pcm = new int[cellCount];
            _resistanceSamples = new int[cellCount];
            _pendingRatioSum_pcm = new long[cellCount];
            _pendingRatioCount = new int[cellCount];
            _lastCellVoltage_mV = new int[cellCount];
            _stepPairValid = new bool[cellCount];
            _stepPairTime_ms = new long[cellCount];
            _stepPairCurrent_uA = new long[cellCount];
            _calibrationFlag = new int[cellCount];
            for (int c = 0; c < cellCount; c++)
            {
                _capacitySoh_pcm[c] = FullScale_pcm;
                _resistanceSoh_pcm[c] = FullScale_pcm;
            }
            _image = new byte[PersistHeaderSize + 8 + cellCount * PersistCellSize];
            WriteImage();
        }

        /// <summary>The chemistry in use.</summary>
        public ChemistryProfile Profile { get { return _profile; } }
        /// <summary>Series cells.</summary>
        public int CellCount { get { return _cellCount; } }
        /// <summary>Cell capacity the SoC refers to.</summary>
        public int Capacity_mAh { get { return _capacity_mAh; } }
        /// <summary>true after <see cref="Start"/>.</summary>
        public bool IsStarted { get { return _started; } }

        /// <summary>
        /// Initialises the filter from the first snapshot. <paramref name="initialSoc_pcm"/> ≥ 0 sets every cell to
        /// that value (treated as uncertain by ±30 %); a negative value takes the state restored from
        /// non-volatile storage (<see cref="RestoreState"/>), cross-checked against the OCV of a resting cell, or
        /// else the SoC whose OCV matches the measured voltage. With a negative value, nothing restored and no
        /// valid cell voltage yet, the start is deferred to the first <see cref="Update100ms"/> with a valid scan.
        /// </summary>
        public void Start(MeasurementSnapshot snapshot, int initialSoc_pcm)
        {
            if (initialSoc_pcm < 0 && !_restored && !AnyCellValid(snapshot))
            {
                // Nothing to start from yet (e.g. the AFE's first scan after configuration): wait for a valid scan
                // instead of guessing. Update100ms retries; meanwhile report the middle rather than "empty".
                for (int c = 0; c < _cellCount; c++) _soc_pcm[c] = FullScale_pcm / 2;
                RankAllCells();
                return;
            }
            UpdateTemperature(snapshot);
            _lastCurrentTime_ms = snapshot.CurrentTime_ms;
            _lastVoltageTime_ms = snapshot.Time_ms;
            _haveCurrent = snapshot.CurrentValid;
            _current_uA = snapshot.CurrentValid ? (long)snapshot.Current_mA * 1000 : 0;
            _restTime_ms = 0;
            bool resting = FixedMath.Abs(_current_uA) < _oneC_uA * SocFilterTuning.RestCurrent_mC / 1000;
            int r0Mid = _profile.SeriesResistance_uOhm(FullScale_pcm / 2, _temperature_dC); // the same for every cell
            for (int c = 0; c < _cellCount; c++)
            {
                long sigmaSoc_pcm;
                int soc;
                bool keepCharge = false;
                bool voltageKnown = c < snapshot.CellCount && snapshot.CellValid[c];
                int ocvSoc = -1;
                if (voltageKnown)
                {
                    int ocv = snapshot.CellVoltage_mV[c] - (int)(r0Mid * _current_uA / 1000000000L);
                    ocvSoc = _profile.SocFromOcv_pcm(ocv, _temperature_dC);
                }
                if (initialSoc_pcm >= 0)
                {
                    soc = initialSoc_pcm > FullScale_pcm ? FullScale_pcm : initialSoc_pcm;
                    sigmaSoc_pcm = SocFilterTuning.InitialSocSigmaGiven_pcm;
                    _bias_nA[c] = 0;
                }
                else if (_restored)
                {
                    soc = SocFromCharge_pcm(_charge_uAms[c]);
                    sigmaSoc_pcm = SocFilterTuning.InitialSocSigmaPersisted_pcm;
                    keepCharge = true; // the exact counter, not its rounded SoC
                    // A pack stored for long self-discharges or is swapped: trust a resting OCV that disagrees.
                    if (resting && ocvSoc >= 0 && FixedMath.Abs(ocvSoc - soc) > 10000)
                    {
                        soc = ocvSoc;
                        sigmaSoc_pcm = SocFilterTuning.InitialSocSigmaFromOcv_pcm;
                        keepCharge = false;
                    }
                }
                else if (ocvSoc >= 0)
                {
                    soc = ocvSoc;
                    sigmaSoc_pcm = resting ? SocFilterTuning.InitialSocSigmaFromOcv_pcm : SocFilterTuning.InitialSocSigmaGiven_pcm;
                    _bias_nA[c] = 0;
                }
                else
                {
                    soc = FullScale_pcm / 2;
                    sigmaSoc_pcm = SocFilterTuning.InitialSocSigmaGiven_pcm;
                    _bias_nA[c] = 0;
                }
                if (!keepCharge) _charge_uAms[c] = ChargeFromSoc_uAms(soc);
                _v1_uV[c] = 0;
                long sigmaS = sigmaSoc_pcm * 10000; // pcm -> nSoC
                long sigmaV = SocFilterTuning.InitialPolarizationSigma_uV;
                long sigmaB = _oneC_uA * SocFilterTuning.InitialBiasSigma_mC; // nA
                if (sigmaB > MaxSigma) sigmaB = MaxSigma; // cells beyond 150 Ah: the variance stays below 2^61
                _pSS[c] = sigmaS * sigmaS;
                _pVV[c] = sigmaV * sigmaV;
                _pBB[c] = sigmaB * sigmaB;
                _sigmaS[c] = sigmaS; _sigmaV[c] = sigmaV; _sigmaB[c] = sigmaB;
                _rootOfS[c] = _pSS[c]; _rootOfV[c] = _pVV[c]; _rootOfB[c] = _pBB[c];
                _pSV[c] = 0; _pSB[c] = 0; _pVB[c] = 0;
                _soc_pcm[c] = SocFromCharge_pcm(_charge_uAms[c]);
                _lastCellVoltage_mV[c] = voltageKnown ? snapshot.CellVoltage_mV[c] : 0;
                _restPointTaken[c] = false;
                _calibrationFlag[c] = 0;
                _markTime_ms[c] = _integratedTime_ms;
                _markCharge_uAms[c] = _integratedCharge_uAms;
                _pendingGapVariance[c] = 0;
                _kalmanTime_ms[c] = snapshot.Time_ms;
                _stepPairValid[c] = false;
            }
            _nextCell = 0;
            _startTime_ms = snapshot.Time_ms;
            _temperatureTime_ms = snapshot.Time_ms;
            _biasSum_nA = 0;
            // The record image keeps what construction or RestoreState wrote; Update1s refreshes offset and σ one
            // cell a second, so the start tick does not rewrite it.
            for (int c = 0; c < _cellCount; c++) _biasSum_nA += _bias_nA[c];
            RankAllCells();
            _started = true;
        }

        /// <summary>
        /// The 100 ms step: the pack's measured charge over the time since the last current sample (series cells
        /// share one current, so it is counted once for the pack), then the Kalman steps of the cells whose turn it
        /// is. A current that is not fresh is not counted twice; a gap is bridged by the trapezoid of the samples
        /// around it, with its uncertainty added.
        /// </summary>
        public void Update100ms(MeasurementSnapshot snapshot)
        {
            if (!_started)
            {
                Start(snapshot, -1);
                return;
            }

            bool currentFresh = false;
            if (snapshot.CurrentValid)
            {
                long now = snapshot.CurrentTime_ms;
                long dt = now - _lastCurrentTime_ms;
                long current = (long)snapshot.Current_mA * 1000;
                if (!_haveCurrent || dt < 0)
                {
                    // First valid sample, or the clock base moved: restart the integration here.
                    _haveCurrent = true;
                    _lastCurrentTime_ms = now;
                    _current_uA = current;
                }
                else if (dt > 0)
                {
                    long average = (_current_uA + current) / 2;
                    if (dt > MaxCurrentHold_ms) AddGapUncertainty(dt, FixedMath.Abs(current - _current_uA) / 2 + _oneC_uA / 100);
                    long charge = average * dt;
                    _integratedTime_ms += dt;
                    _integratedCharge_uAms += charge;
                    _throughputNet_uAms += charge;
                    _current_uA = current;
                    _lastCurrentTime_ms = now;
                    currentFresh = true;
                    long corrected = current - _biasSum_nA / _cellCount / 1000;
                    if ((corrected < 0 ? -corrected : corrected) < _restCurrent_uA) _restTime_ms += dt;
                    else
                    {
                        // A rest point can only have been taken during this rest.
                        if (_restTime_ms > 0)
                        {
                            for (int c = 0; c < _cellCount; c++) _restPointTaken[c] = false;
                            _restPointsAllTaken = false;
                        }
                        _restTime_ms = 0;
                    }
                }
            }

            long voltageTime = snapshot.Time_ms;
            long dtV = voltageTime - _lastVoltageTime_ms;
            if (dtV == 0) return;
            if (dtV < 0 || dtV > KalmanPeriod_ms) dtV = KalmanPeriod_ms;
            _lastVoltageTime_ms = voltageTime;
            bool currentUsable = _haveCurrent && voltageTime - _lastCurrentTime_ms <= MaxCurrentHold_ms && _lastCurrentTime_ms - voltageTime <= MaxCurrentHold_ms;
            bool resting = _restTime_ms >= SocFilterTuning.RestTime_ms;
            long sinceStart = voltageTime - _startTime_ms;
            long due = sinceStart >= 0 && sinceStart < StartPhase_ms ? 1 : KalmanPeriod_ms - KalmanSlack_ms;
            // The tick that also runs Update1s (state of health, and the periodic save of the state) takes no step
            // when ticks are faster than a second: the other nine of ten carry them, so no tick has both.
            if (_secondSeen && dtV <= KalmanPeriod_ms / 4)
            {
                long sinceSecond = voltageTime - _lastSecond_ms;
                if (sinceSecond > SecondPeriod_ms - KalmanSlack_ms && sinceSecond < SecondPeriod_ms + KalmanSlack_ms) return;
            }
            // Steps this tick: the tick's share of a period's worth of cells over the nine tenths of the ticks that
            // step, rounded up.
            long allowance = (_cellCount * dtV * 10 + KalmanPeriod_ms * 9 - 1) / (KalmanPeriod_ms * 9);
            if (due == 1) allowance = _cellCount; // start phase: every cell, every tick
            int c2 = _nextCell;
            for (long n = 0; n < allowance; n++)
            {
                long sinceStep = voltageTime - _kalmanTime_ms[c2];
                if (sinceStep < 0) sinceStep = MaxMeasurementInterval_ms; // clock base moved
                else if (sinceStep < due) break;
                // The mean temperature only matters to a step, and moves over minutes: taken at a tick's first step
                // once a second.
                if (n == 0 && voltageTime - _temperatureTime_ms >= SecondPeriod_ms - KalmanSlack_ms)
                {
                    UpdateTemperature(snapshot);
                    _temperatureTime_ms = voltageTime;
                }
                bool measured = currentUsable && c2 < snapshot.CellCount && snapshot.CellValid[c2];
                KalmanStep(c2, measured, measured ? snapshot.CellVoltage_mV[c2] : 0, sinceStep, resting, voltageTime, currentFresh);
                _kalmanTime_ms[c2] = voltageTime;
                c2++;
                if (c2 == _cellCount) c2 = 0;
            }
            _nextCell = c2;
        }

        /// <summary>The 1 s step: state of health (capacity from throughput between calibration points, resistance
        /// from ΔV/ΔI at current steps collected by the 100 ms step).</summary>
        public void Update1s(MeasurementSnapshot snapshot)
        {
            if (!_started) return;
            _secondSeen = true;
            _lastSecond_ms = snapshot.Time_ms;
            // The record's slowly moving fields, one cell a second: the offset estimate and the (informational) σ.
            int sc = _sigmaRecordCell;
            long root = FixedMath.SqrtFrom(_pSS[sc], _sigmaS[sc]);
            _sigmaS[sc] = root; _rootOfS[sc] = _pSS[sc];
            WriteSigmaToImage(sc);
            WriteBiasToImage(sc);
            _sigmaRecordCell = sc + 1 == _cellCount ? 0 : sc + 1;
            bool resting = _restTime_ms >= SocFilterTuning.RestTime_ms;
            // Nothing to fold in (no resistance ratio, no calibration anchor since the last second, no rest point
            // outstanding): no cell loop.
            if (!_sohWorkPending && !(resting && !_restPointsAllTaken)) return;
            _sohWorkPending = false;
            bool allTaken = true;
            for (int c = 0; c < _cellCount; c++)
            {
                // Resistance: fold the ratios measured since the last second into a slow average.
                if (_pendingRatioCount[c] > 0)
                {
                    int ratio = (int)(_pendingRatioSum_pcm[c] / _pendingRatioCount[c]);
                    int n = _resistanceSamples[c];
                    int weight = n < 16 ? n + 1 : 16;
                    if (n == 0) _resistanceSoh_pcm[c] = ratio;
                    else _resistanceSoh_pcm[c] += (ratio - _resistanceSoh_pcm[c]) / weight;
                    _resistanceSamples[c] = n + 1;
                    _pendingRatioSum_pcm[c] = 0;
                    _pendingRatioCount[c] = 0;
                    WriteSohToImage(c);
                }

                // Capacity: a calibration point is a rested OCV or an end-of-charge/discharge event.
                int pointSoc = -1;
                if (_calibrationFlag[c] == 1) pointSoc = FullScale_pcm;
                else if (_calibrationFlag[c] == 2) pointSoc = 0;
                else if (resting && !_restPointTaken[c] && c < snapshot.CellCount && snapshot.CellValid[c])
                {
                    pointSoc = _profile.SocFromOcv_pcm(snapshot.CellVoltage_mV[c], _temperature_dC);
                    _restPointTaken[c] = true;
                }
                if (!_restPointTaken[c]) allTaken = false;
                _calibrationFlag[c] = 0;
                if (pointSoc < 0) continue;
                // Measured (not offset-corrected) charge: the offset state of the SoC filter also absorbs capacity
                // error, so correcting with it would hide the very fade we measure. An offset of 1 % of 1C shifts
                // the estimate by about 1 % per hour between the two calibration points.
                long throughput = _throughputNet_uAms;
                if (_anchorValid[c])
                {
                    int deltaSoc = pointSoc - _anchorSoc_pcm[c];
                    if (FixedMath.Abs(deltaSoc) >= 40000)
                    {
                        long deltaCharge = throughput - _anchorThroughput_uAms[c];
                        // capacity ratio = ΔQ / (ΔSoC · nominal)
                        long estimate = FixedMath.MulDiv(deltaCharge, (long)FullScale_pcm * FullScale_pcm, (long)deltaSoc * _fullCharge_uAms);
                        if (estimate > 20000 && estimate < 150000)
                        {
                            int n = _capacityEstimates[c];
                            if (n == 0) _capacitySoh_pcm[c] = (int)estimate;
                            else _capacitySoh_pcm[c] += (int)((estimate - _capacitySoh_pcm[c]) / (n < 4 ? n + 1 : 4));
                            _capacityEstimates[c] = n + 1;
                            WriteSohToImage(c);
                        }
                        _anchorSoc_pcm[c] = pointSoc;
                        _anchorThroughput_uAms[c] = throughput;
                    }
                }
                else
                {
                    _anchorValid[c] = true;
                    _anchorSoc_pcm[c] = pointSoc;
                    _anchorThroughput_uAms[c] = throughput;
                }
            }
            _restPointsAllTaken = resting && allTaken;
        }

        /// <summary>Pack SoC: 0 when the weakest cell is empty, 100 % when the first cell is full, from the exact
        /// counts now of the extreme cells (<see cref="GetCellSoc_pcm"/>).</summary>
        public int PackSoc_pcm
        {
            get
            {
                if (!_started) return _packSoc_pcm;
                // GetCellSoc_pcm of the two extreme cells, inline.
                int c = _minCell;
                long pcm = (_charge_uAms[c] + (_integratedCharge_uAms - _markCharge_uAms[c])
                    - (_bias_nA[c] * (_integratedTime_ms - _markTime_ms[c]) + _biasChargeRemainder_nAms[c]) / 1000) / _pcmCharge_uAms;
                int min = pcm < 0 ? 0 : (pcm > FullScale_pcm ? FullScale_pcm : (int)pcm);
                c = _maxCell;
                pcm = (_charge_uAms[c] + (_integratedCharge_uAms - _markCharge_uAms[c])
                    - (_bias_nA[c] * (_integratedTime_ms - _markTime_ms[c]) + _biasChargeRemainder_nAms[c]) / 1000) / _pcmCharge_uAms;
                int max = pcm < 0 ? 0 : (pcm > FullScale_pcm ? FullScale_pcm : (int)pcm);
                long denominator = (long)min + (FullScale_pcm - max);
                if (denominator <= 0) return min >= FullScale_pcm ? FullScale_pcm : 0;
                return (int)((long)min * FullScale_pcm / denominator);
            }
        }

        /// <summary>SoC of one cell (index 0 = cell 1), 0..100000, from its exact coulomb count now (what a save
        /// persists and a restart restores); <see cref="PackSoc_pcm"/> is taken from the same values.</summary>
        public int GetCellSoc_pcm(int cell)
        {
            long biasWhole = (_bias_nA[cell] * (_integratedTime_ms - _markTime_ms[cell]) + _biasChargeRemainder_nAms[cell]) / 1000;
            // (x·10/q36)/10000 = x/(q36·1000): nested truncating divisions by positive divisors are one division.
            long pcm = (_charge_uAms[cell] + (_integratedCharge_uAms - _markCharge_uAms[cell]) - biasWhole) / _pcmCharge_uAms;
            // the clamp of the charge (−5..105 %) is inside the clamp of the SoC
            return pcm < 0 ? 0 : (pcm > FullScale_pcm ? FullScale_pcm : (int)pcm);
        }

        /// <summary>1σ uncertainty of one cell's SoC, from the filter covariance.</summary>
        public int GetCellSocSigma_pcm(int cell) { return (int)(FixedMath.Sqrt(_pSS[cell]) / 10000); }

        /// <summary>Estimated current-sensor offset (measured − true) of one cell's filter.</summary>
        public int GetCurrentOffset_mA(int cell) { return (int)(_bias_nA[cell] / 1000000); }

        /// <summary>Polarisation voltage V1 of one cell.</summary>
        public int GetPolarization_mV(int cell) { return (int)(_v1_uV[cell] / 1000); }

        /// <summary>Remaining charge of one cell, exact coulomb-count state (µA·ms), including the pack charge
        /// counted since the cell's last step.</summary>
        public long GetCellCharge_uAms(int cell)
        {
            long remainder;
            return ChargeNow(cell, out remainder);
        }

        /// <summary>Net charge counted since start (µA·ms, exact integer sum of I·Δt, positive = charged).</summary>
        public long NetThroughput_uAms { get { return _throughputNet_uAms; } }

        /// <summary>true while the pack has rested long enough for the OCV to be trusted.</summary>
        public bool IsResting { get { return _restTime_ms >= SocFilterTuning.RestTime_ms; } }

        /// <summary>Capacity relative to the capacity given at construction, weakest cell (100000 = as new).</summary>
        public int CapacitySoh_pcm
        {
            get
            {
                int min = int.MaxValue;
                for (int c = 0; c < _cellCount; c++) if (_capacitySoh_pcm[c] < min) min = _capacitySoh_pcm[c];
                return min;
            }
        }

        /// <summary>Internal resistance relative to the profile's R0 at the same SoC and temperature, worst cell
        /// (100000 = as the profile, 150000 = 50 % higher).</summary>
        public int ResistanceSoh_pcm
        {
            get
            {
                int max = 0;
                for (int c = 0; c < _cellCount; c++) if (_resistanceSoh_pcm[c] > max) max = _resistanceSoh_pcm[c];
                return max;
            }
        }

        /// <summary>Capacity SoH of one cell.</summary>
        public int GetCellCapacitySoh_pcm(int cell) { return _capacitySoh_pcm[cell]; }
        /// <summary>Resistance SoH of one cell.</summary>
        public int GetCellResistanceSoh_pcm(int cell) { return _resistanceSoh_pcm[cell]; }

        // ---------------------------------------------------------------- persistence

        private const int PersistVersion = 1;
        private const int PersistHeaderSize = 12;
        private const int PersistCellSize = 8 + 8 + 4 + 4 + 4 + 4 + 4;

        /// <summary>Bytes needed by <see cref="SerializeState"/>.</summary>
        public int PersistedStateSize { get { return PersistHeaderSize + 8 + _cellCount * PersistCellSize; } }

        /// <summary>Writes SoC (exact charge counters), offset estimates and SoH into a buffer (little-endian).</summary>
        /// <remarks>The record is kept as an image that each field's owner updates when it changes (SoH in
        /// <see cref="Update1s"/>; the offset estimate, which moves by nA per step, and the informational σ one cell a
        /// second, so they are at most one second per cell old); only the charge counters,
        /// exact to this moment, and the throughput are written here, so a save costs one copy and a counter per cell.
        /// No other state changes: a save does not alter what the estimator reports.</remarks>
        public void SerializeState(byte[] buffer, int offset)
        {
            System.Array.Copy(_image, 0, buffer, offset, _image.Length);
            PutLong(buffer, offset + PersistHeaderSize, _throughputNet_uAms);
            int p = offset + PersistHeaderSize + 8;
            long low = -_fullCharge_uAms / 20, high = _fullCharge_uAms + _fullCharge_uAms / 20;
            for (int c = 0; c < _cellCount; c++)
            {
                // ChargeNow, inline: the charge at the cell's step plus the pack's since then, less the offset's share.
                long biasWhole = (_bias_nA[c] * (_integratedTime_ms - _markTime_ms[c]) + _biasChargeRemainder_nAms[c]) / 1000;
                long charge = _charge_uAms[c] + (_integratedCharge_uAms - _markCharge_uAms[c]) - biasWhole;
                if (charge < low) charge = low; else if (charge > high) charge = high;
                int lo = (int)charge, hi = (int)(charge >> 32);
                buffer[p] = (byte)lo; buffer[p + 1] = (byte)(lo >> 8); buffer[p + 2] = (byte)(lo >> 16); buffer[p + 3] = (byte)(lo >> 24);
                buffer[p + 4] = (byte)hi; buffer[p + 5] = (byte)(hi >> 8); buffer[p + 6] = (byte)(hi >> 16); buffer[p + 7] = (byte)(hi >> 24);
                p += PersistCellSize;
            }
        }

        private void WriteBiasToImage(int c)
        {
            PutLong(_image, PersistHeaderSize + 8 + c * PersistCellSize + 8, _bias_nA[c]);
        }

        private void WriteSigmaToImage(int c)
        {
            PutInt(_image, PersistHeaderSize + 8 + c * PersistCellSize + 32, (int)(_sigmaS[c] / 10000));
        }

        private void WriteSohToImage(int c)
        {
            int p = PersistHeaderSize + 8 + c * PersistCellSize + 16;
            p = PutInt(_image, p, _capacitySoh_pcm[c]);
            p = PutInt(_image, p, _capacityEstimates[c]);
            p = PutInt(_image, p, _resistanceSoh_pcm[c]);
            PutInt(_image, p, _resistanceSamples[c]);
        }

        private void WriteImage()
        {
            int p = PutInt(_image, 0, PersistVersion);
            p = PutInt(_image, p, _cellCount);
            PutInt(_image, p, _capacity_mAh);
            for (int c = 0; c < _cellCount; c++)
            {
                WriteBiasToImage(c);
                WriteSohToImage(c);
                WriteSigmaToImage(c);
            }
        }

        /// <summary>
        /// Takes a state written by <see cref="SerializeState"/> (already verified by the record store). Refused
        /// (false, nothing changed) when it belongs to another pack layout or holds implausible values.
        /// The next <c>Start(snapshot, -1)</c> continues from it.
        /// </summary>
        public bool RestoreState(byte[] buffer, int offset, int length)
        {
            if (length < PersistedStateSize) return false;
            int p = offset;
            if (GetInt(buffer, p) != PersistVersion || GetInt(buffer, p + 4) != _cellCount || GetInt(buffer, p + 8) != _capacity_mAh) return false;
            p += PersistHeaderSize;
            long throughput = GetLong(buffer, p);
            p += 8;
            int q = p;
            for (int c = 0; c < _cellCount; c++)
            {
                long charge = GetLong(buffer, q);
                long bias = GetLong(buffer, q + 8);
                int capSoh = GetInt(buffer, q + 16), resSoh = GetInt(buffer, q + 24);
                if (charge < -_fullCharge_uAms / 10 || charge > _fullCharge_uAms + _fullCharge_uAms / 10) return false;
                if (FixedMath.Abs(bias) > _oneC_uA * SocFilterTuning.MaxBias_mC) return false;
                if (capSoh < 10000 || capSoh > 200000 || resSoh < 10000 || resSoh > 1000000) return false;
                q += PersistCellSize;
            }
            _throughputNet_uAms = throughput;
            for (int c = 0; c < _cellCount; c++)
            {
                _charge_uAms[c] = GetLong(buffer, p);
                _bias_nA[c] = GetLong(buffer, p + 8);
                _capacitySoh_pcm[c] = GetInt(buffer, p + 16);
                _capacityEstimates[c] = GetInt(buffer, p + 20);
                _resistanceSoh_pcm[c] = GetInt(buffer, p + 24);
                _resistanceSamples[c] = GetInt(buffer, p + 28);
                _soc_pcm[c] = SocFromCharge_pcm(_charge_uAms[c]);
                p += PersistCellSize;
            }
            _biasSum_nA = 0;
            for (int c = 0; c < _cellCount; c++) _biasSum_nA += _bias_nA[c];
            RankAllCells();
            WriteImage();
            _restored = true;
            return true;
        }

        /// <summary>Saves the state through a record store (two CRC-protected copies). Uses the buffer given
        /// at construction of the store's user; allocation-free.</summary>
        public bool Save(Storage.PersistentRecordStore store, byte[] scratch)
        {
            SerializeState(scratch, 0);
            return store.Save(scratch, 0);
        }

        /// <summary>Loads the newest intact copy from a record store and takes it (see <see cref="RestoreState"/>).
        /// false when no intact copy exists or it does not fit this pack; then nothing changes.</summary>
        public bool Load(Storage.PersistentRecordStore store, byte[] scratch)
        {
            if (!store.Load(scratch, 0)) return false;
            return RestoreState(scratch, 0, PersistedStateSize);
        }

        private static int PutInt(byte[] b, int p, int v)
        {
            b[p] = (byte)v; b[p + 1] = (byte)(v >> 8); b[p + 2] = (byte)(v >> 16); b[p + 3] = (byte)(v >> 24);
            return p + 4;
        }

        private static int PutLong(byte[] b, int p, long v)
        {
            int lo = (int)v, hi = (int)(v >> 32);
            b[p] = (byte)lo; b[p + 1] = (byte)(lo >> 8); b[p + 2] = (byte)(lo >> 16); b[p + 3] = (byte)(lo >> 24);
            b[p + 4] = (byte)hi; b[p + 5] = (byte)(hi >> 8); b[p + 6] = (byte)(hi >> 16); b[p + 7] = (byte)(hi >> 24);
            return p + 8;
        }

        private static int GetInt(byte[] b, int p)
        {
            return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
        }

        private static long GetLong(byte[] b, int p)
        {
            return (uint)GetInt(b, p) | ((long)GetInt(b, p + 4) << 32);
        }

        // ---------------------------------------------------------------- filter

        private int SocFromCharge_pcm(long charge_uAms)
        {
            return SocFromNano_pcm(charge_uAms * 10 / _q36);
        }

        private static int SocFromNano_pcm(long nSoc)
        {
            long pcm = nSoc / 10000;
            if (pcm < 0) return 0;
            if (pcm > FullScale_pcm) return FullScale_pcm;
            return (int)pcm;
        }

        private long ChargeFromSoc_uAms(int soc_pcm)
        {
            return (long)soc_pcm * 10000 * _q36 / 10;
        }

        private static bool AnyCellValid(MeasurementSnapshot snapshot)
        {
            for (int c = 0; c < snapshot.CellCount; c++) if (snapshot.CellValid[c]) return true;
            return false;
        }

        private void UpdateTemperature(MeasurementSnapshot snapshot)
        {
            long sum = 0;
            int n = 0, count = snapshot.TemperatureCount;
            bool[] valid = snapshot.TemperatureValid;
            int[] temperatures = snapshot.Temperature_dC;
            for (int t = 0; t < count; t++)
            {
                if (valid[t]) { sum += temperatures[t]; n++; }
            }
            if (n > 0) _temperature_dC = (int)(sum / n);
        }

        /// <summary>The cell's exact coulomb count now: its charge at its last step plus the pack's measured charge
        /// since then, less the offset's charge over that time (kept in nA·ms; only whole µA·ms leave the
        /// <paramref name="biasRemainder_nAms"/>). The offset is constant between steps, so this is the same integer
        /// as counting tick by tick.</summary>
        private long ChargeNow(int c, out long biasRemainder_nAms)
        {
            long biasCharge = _bias_nA[c] * (_integratedTime_ms - _markTime_ms[c]) + _biasChargeRemainder_nAms[c];
            long biasWhole = biasCharge / 1000;
            biasRemainder_nAms = biasCharge - biasWhole * 1000;
            long charge = _charge_uAms[c] + (_integratedCharge_uAms - _markCharge_uAms[c]) - biasWhole;
            long low = -_fullCharge_uAms / 20, high = _fullCharge_uAms + _fullCharge_uAms / 20;
            if (charge < low) charge = low;
            if (charge > high) charge = high;
            return charge;
        }

        /// <summary>A current gap bridged by the trapezoid: its charge uncertainty, as SoC variance, waits for each
        /// cell's next Kalman step.</summary>
        private void AddGapUncertainty(long dt_ms, long gapUncertainty_uA)
        {
            long gapSoc = gapUncertainty_uA * dt_ms * 10 / _q36;
            long variance = gapSoc > FixedMath.SqrtOfMax ? long.MaxValue : gapSoc * gapSoc;
            for (int c = 0; c < _cellCount; c++)
            {
                long sum = _pendingGapVariance[c] + variance;
                _pendingGapVariance[c] = sum < 0 ? long.MaxValue : sum;
            }
        }

        /// <summary>The cell's turn: its coulomb count and time update over everything counted since its last step,
        /// the measurement update if a usable voltage is at hand, one covariance conditioning, then the calibration
        /// anchors and the resistance sample on the same voltage.</summary>
        private void KalmanStep(int c, bool measured, int voltage_mV, long interval_ms, bool resting, long time_ms, bool currentFresh)
        {
            long pendingTime = _integratedTime_ms - _markTime_ms[c];
            long pendingCharge = _integratedCharge_uAms - _markCharge_uAms[c];
            // ChargeNow, inline: the offset's charge over the interval in nA·ms, whole µA·ms leaving the remainder.
            long biasCharge = _bias_nA[c] * pendingTime + _biasChargeRemainder_nAms[c];
            long biasWhole = biasCharge / 1000;
            _biasChargeRemainder_nAms[c] = biasCharge - biasWhole * 1000;
            long charge = _charge_uAms[c] + pendingCharge - biasWhole;
            if (charge < _lowCharge_uAms) charge = _lowCharge_uAms; else if (charge > _highCharge_uAms) charge = _highCharge_uAms;
            _charge_uAms[c] = charge;
            // One chemistry look-up per step: the SoC only moves by the step's own correction, whose effect on the
            // table values is second order.
            long nSoc = charge * 10 / _q36;
            int soc = SocFromNano_pcm(nSoc);
            int r0, r1, tau;
            _profile.EquivalentCircuit(soc, _temperature_dC, out r0, out r1, out tau);
            if (pendingTime > 0) Predict(c, pendingTime, pendingCharge / pendingTime, _pendingGapVariance[c], r1, tau);
            _markTime_ms[c] = _integratedTime_ms;
            _markCharge_uAms[c] = _integratedCharge_uAms;
            _pendingGapVariance[c] = 0;
            if (measured)
            {
                Correct(c, voltage_mV, interval_ms, resting, soc, nSoc, r0);
                // The anchors only lower the SoC variance and clear its correlations, so conditioning after them
                // gives what conditioning before them would.
                Calibrate(c, voltage_mV);
                CaptureResistanceSample(c, voltage_mV, time_ms, currentFresh, r0);
            }
            ConditionCovariance(c);
            NoteCellSoc(c, SocFromCharge_pcm(_charge_uAms[c]));
        }

        /// <summary>Keeps the pack's extreme cells with one cell's new count; scans the cells only when an extreme
        /// cell itself moved inwards. Cells are ranked by their charge less the pack's count at their step: between
        /// steps every cell moves with the same pack count (less its offset's share, a few µA), so this rank holds
        /// at any moment, whichever cell stepped last.</summary>
        private void NoteCellSoc(int c, int soc_pcm)
        {
            _soc_pcm[c] = soc_pcm;
            // Ranked to about a per cent mille (a binary unit below it): cells equal to that tie, so a stepping extreme
            // cell that stays level keeps its place without a scan; the pack SoC is then at most that unit off.
            long key = (_charge_uAms[c] - _markCharge_uAms[c]) >> _rankShift;
            _rankKey[c] = key;
            if (key <= _minKey) { _minKey = key; _minCell = c; }
            else if (c == _minCell) { RescanExtremes(); return; }
            if (key >= _maxKey) { _maxKey = key; _maxCell = c; }
            else if (c == _maxCell) RescanExtremes();
        }

        private void RescanExtremes()
        {
            long[] keys = _rankKey;
            long minKey = long.MaxValue, maxKey = long.MinValue;
            int minCell = 0, maxCell = 0;
            for (int c = 0; c < keys.Length; c++)
            {
                long key = keys[c];
                if (key < minKey) { minKey = key; minCell = c; }
                if (key > maxKey) { maxKey = key; maxCell = c; }
            }
            _minKey = minKey; _minCell = minCell;
            _maxKey = maxKey; _maxCell = maxCell;
        }

        /// <summary>The rank keys of every cell from its counts, and the extremes; before start (no counts yet) also
        /// the pack SoC from the cells' reported values.</summary>
        private void RankAllCells()
        {
            int min = FullScale_pcm + 1, max = -1;
            for (int c = 0; c < _cellCount; c++)
            {
                int s = _soc_pcm[c];
                if (s < min) min = s;
                if (s > max) max = s;
                _rankKey[c] = (_charge_uAms[c] - _markCharge_uAms[c]) >> _rankShift;
            }
            _packSoc_pcm = PackSocFrom(min, max);
            RescanExtremes();
        }

        private static int PackSocFrom(int min, int max)
        {
            long denominator = (long)min + (FullScale_pcm - max);
            if (denominator <= 0) return min >= FullScale_pcm ? FullScale_pcm : 0;
            return (int)((long)min * FullScale_pcm / denominator);
        }

        /// <summary>Time update of V1 and the covariance over <paramref name="dt_ms"/> with the mean measured current
        /// (the charge itself is counted at the step). F's coefficients are binary fractions (a 31-bit mantissa and
        /// a shift), so every covariance product is two 64-bit multiplies, never the 128-bit path.</summary>
        private void Predict(int c, long dt_ms, long measured_uA, long gapVariance_nSoC2, int r1, int tau)
        {
            if (dt_ms > MaxFastPredict_ms || r1 >= MaxFastResistance_uOhm) { PredictWide(c, dt_ms, measured_uA, gapVariance_nSoC2, r1, tau); return; }
            long current = measured_uA - _bias_nA[c] / 1000;
            long tauPlus = tau + dt_ms;
            long slope_ppm;
            long v1Target = Polarization.Saturate_uV(r1 * current / 1000000, Polarization.ThermalVoltage_uV(_temperature_dC), out slope_ppm);
            long a = ((long)tau << 31) / tauPlus; // τ/(τ+dt) in Q31
            long v1Step = v1Target * dt_ms;
            _v1_uV[c] = FixedMath.MulQ31(_v1_uV[c], a) + (v1Step + (v1Step < 0 ? -tauPlus : tauPlus) / 2) / tauPlus;

            // F = [[1, 0, fsb], [0, a, fvb], [0, 0, 1]] with fsb = -dt·10/q36/1000 nSoC per nA, a = τ/(τ+dt),
            // fvb = -R1·η'·dt/((τ+dt)·1e15) µV per nA, η' the slope of the saturating polarisation. fsb is a fraction
            // below one half for any real cell (else the 128-bit path) and only changes with the interval; fvb is
            // R1·η' (below 2^20 µΩ) times 1 − a, in Q40.
            if (dt_ms != _fsbInterval_ms)
            {
                _fsb = FixedMath.Ratio(-dt_ms, _q36 * 100, out _fsbShift);
                _fsbInterval_ms = dt_ms;
            }
            long fsb = _fsb;
            int fsbShift = _fsbShift;
            if (fsbShift < 32) { PredictCovarianceWide(c, dt_ms, current, gapVariance_nSoC2, r1, tau, slope_ppm); return; }
            long fvb = -((r1 * slope_ppm / 1000000) * ((1L << 31) - a) * 512 + 500000000) / 1000000000;
            long pss = _pSS[c], psv = _pSV[c], psb = _pSB[c], pvv = _pVV[c], pvb = _pVB[c], pbb = _pBB[c];
            // The Q31 (a) and Q40 (fvb) products inline, as FixedMath.MulQ31/MulQ40 round them: a call costs as
            // much as the arithmetic on an IL interpreter.
            // fsb·x as FixedMath.MulFraction rounds it, inline (fsbShift ≥ 32 here).
            int fsbHighShift = fsbShift - 31;
            long fsbHighHalf = 1L << (fsbShift - 32), fsbHalf = 1L << (fsbShift - 1);
            long fsbPbb = (((pbb >> 31) * fsb + fsbHighHalf) >> fsbHighShift) + (((pbb & 0x7FFFFFFFL) * fsb + fsbHalf) >> fsbShift);
            long fvbPbb = (((pbb >> 31) * fvb + (1L << 8)) >> 9) + (((pbb & 0x7FFFFFFFL) * fvb + (1L << 39)) >> 40);
            long aPvb = (pvb >> 31) * a + (((pvb & 0x7FFFFFFFL) * a + (1L << 30)) >> 31);
            long aPsv = (psv >> 31) * a + (((psv & 0x7FFFFFFFL) * a + (1L << 30)) >> 31);
            long aPvv = (pvv >> 31) * a + (((pvv & 0x7FFFFFFFL) * a + (1L << 30)) >> 31);
            long fvbPsb = (((psb >> 31) * fvb + (1L << 8)) >> 9) + (((psb & 0x7FFFFFFFL) * fvb + (1L << 39)) >> 40);
            long fvbPvb = (((pvb >> 31) * fvb + (1L << 8)) >> 9) + (((pvb & 0x7FFFFFFFL) * fvb + (1L << 39)) >> 40);
            // P' = F·P·Fᵀ, factored: pss + fsb·(2·psb + fsb·pbb), a·(a·pvv + fvb·pvb) + fvb·(a·pvb + fvb·pbb).
            long twoPsbFsbPbb = 2 * psb + fsbPbb;
            long nss = pss + (((twoPsbFsbPbb >> 31) * fsb + fsbHighHalf) >> fsbHighShift) + (((twoPsbFsbPbb & 0x7FFFFFFFL) * fsb + fsbHalf) >> fsbShift);
            long nsb = psb + fsbPbb;
            long nvb = aPvb + fvbPbb;
            long nsv = aPsv + fvbPsb + (((nvb >> 31) * fsb + fsbHighHalf) >> fsbHighShift) + (((nvb & 0x7FFFFFFFL) * fsb + fsbHalf) >> fsbShift);
            long inner = aPvv + fvbPvb;
            long fvbNvb = (((nvb >> 31) * fvb + (1L << 8)) >> 9) + (((nvb & 0x7FFFFFFFL) * fvb + (1L << 39)) >> 40);
            long nvv = (inner >> 31) * a + (((inner & 0x7FFFFFFFL) * a + (1L << 30)) >> 31) + fvbNvb;

            // Process noise, densities per second scaled by dt (dt < 2^22 ms here, so the products fit).
            long socRate_nSoC_per_s = FixedMath.Abs(current) * 10000 / _q36; // |dSoC/dt| in nSoC/s
            long gainSigma = socRate_nSoC_per_s * SocFilterTuning.CoulombGainUncertainty_permille / 1000;
            long walk = SocFilterTuning.SocWalk_nSoC_per_sqrt_s;
            long socNoise = walk * walk + gainSigma * gainSigma;
            nss += socNoise < (1L << 40) ? socNoise * dt_ms / 1000 : FixedMath.MulDiv(socNoise, dt_ms, 1000);
            nss += gapVariance_nSoC2;
            if (nss < 0 || nss > MaxVariance) nss = MaxVariance; // the measurement update needs it below 2^62
            long pw = SocFilterTuning.PolarizationWalk_uV_per_sqrt_s;
            nvv += pw * pw * dt_ms / 1000;
            long pbbNew = pbb + BiasWalkVariance_nA2_per_ms * dt_ms;

            _pSS[c] = nss; _pSV[c] = nsv; _pSB[c] = nsb; _pVV[c] = nvv; _pVB[c] = nvb; _pBB[c] = pbbNew;
        }

        // Beyond these the time update takes the 128-bit path (a long current gap, an implausible table).
        private const long MaxFastPredict_ms = 1L << 22;
        private const int MaxFastResistance_uOhm = 1 << 20;
        private const long BiasWalk_nA = (long)SocFilterTuning.BiasWalk_uA_per_sqrt_h * 1000;
        private const long BiasWalkVariance_nA2_per_ms = BiasWalk_nA * BiasWalk_nA / 3600000;
        // Variances are held below 2^61 (σ up to 1.5e9 in the filter's units, far beyond any real state), so the
        // binary-fraction products (operands below 2^62) and σ_a·σ_b always fit.
        private const long MaxVariance = 1L << 61;
        private const long MaxSigma = 1518500249L; // floor(sqrt(2^61))

        /// <summary>The time update with 128-bit intermediates, for intervals and tables outside the fast path.</summary>
        private void PredictWide(int c, long dt_ms, long measured_uA, long gapVariance_nSoC2, long r1, long tau)
        {
            long current = measured_uA - _bias_nA[c] / 1000;
            long tauPlus = tau + dt_ms;
            long slope_ppm;
            long v1Target = Polarization.Saturate_uV(r1 * current / 1000000, Polarization.ThermalVoltage_uV(_temperature_dC), out slope_ppm);
            _v1_uV[c] = FixedMath.MulDiv(_v1_uV[c], tau, tauPlus) + FixedMath.MulDiv(v1Target, dt_ms, tauPlus);
            PredictCovarianceWide(c, dt_ms, current, gapVariance_nSoC2, r1, tau, slope_ppm);
        }

        private void PredictCovarianceWide(int c, long dt_ms, long current, long gapVariance_nSoC2, long r1, long tau, long slope_ppm)
        {
            long tauPlus = tau + dt_ms;
            long fsbNum = -dt_ms * 10, fsbDen = _q36 * 1000; // nSoC per nA
            long fvbNum = -FixedMath.MulDiv(r1 * dt_ms, slope_ppm, 1000000), fvbDen = tauPlus * 1000000000; // µV per nA
            long pss = _pSS[c], psv = _pSV[c], psb = _pSB[c], pvv = _pVV[c], pvb = _pVB[c], pbb = _pBB[c];
            long fsbPbb = FixedMath.MulDiv(pbb, fsbNum, fsbDen);
            long fvbPbb = FixedMath.MulDiv(pbb, fvbNum, fvbDen);
            long aPvb = FixedMath.MulDiv(pvb, tau, tauPlus);
            long nss = pss + 2 * FixedMath.MulDiv(psb, fsbNum, fsbDen) + FixedMath.MulDiv(fsbPbb, fsbNum, fsbDen);
            long nsb = psb + fsbPbb;
            long nvb = aPvb + fvbPbb;
            long nsv = FixedMath.MulDiv(psv, tau, tauPlus) + FixedMath.MulDiv(psb, fvbNum, fvbDen) + FixedMath.MulDiv(nvb, fsbNum, fsbDen);
            long nvv = FixedMath.MulDiv(FixedMath.MulDiv(pvv, tau, tauPlus), tau, tauPlus) + 2 * FixedMath.MulDiv(aPvb, fvbNum, fvbDen) + FixedMath.MulDiv(fvbPbb, fvbNum, fvbDen);
            long absCurrent = FixedMath.Abs(current);
            long socRate_nSoC_per_s = absCurrent * 10000 / _q36;
            long gainSigma = socRate_nSoC_per_s * SocFilterTuning.CoulombGainUncertainty_permille / 1000;
            long walk = SocFilterTuning.SocWalk_nSoC_per_sqrt_s;
            nss += FixedMath.MulDiv(walk * walk + gainSigma * gainSigma, dt_ms, 1000);
            nss += gapVariance_nSoC2;
            if (nss < 0 || nss > MaxVariance) nss = MaxVariance; // the measurement update needs it below 2^62
            long pw = SocFilterTuning.PolarizationWalk_uV_per_sqrt_s;
            nvv += FixedMath.MulDiv(pw * pw, dt_ms, 1000);
            long pbbNew = pbb + FixedMath.MulDiv(BiasWalk_nA * BiasWalk_nA, dt_ms, 3600000);
            _pSS[c] = nss; _pSV[c] = nsv; _pSB[c] = nsb; _pVV[c] = nvv; _pVB[c] = nvb; _pBB[c] = pbbNew;
        }

        /// <summary>Measurement update with one fresh cell voltage. H = [hs, 1, hb] as binary fractions (hs = slope/1e7
        /// µV per nSoC in Q32, hb = −R0/1e9 µV per nA in Q40), the gains as <see cref="FixedMath.Ratio"/>s of the
        /// innovation variance.</summary>
        private void Correct(int c, int voltage_mV, long interval_ms, bool resting, int soc, long nSoc, int r0)
        {
            int t = _temperature_dC;
            long current = _current_uA - _bias_nA[c] / 1000;
            int slopeAtSoc;
            long ocv_uV = (long)_profile.OcvAndSlope(soc, t, out slopeAtSoc) * 1000;
            long slope = slopeAtSoc; // µV per 1e7 nSoC
            long ohmic_uV = r0 * current / 1000000;
            // Beyond 0..100 % (the state may overshoot by up to 5 % while converging) the table's end slope is
            // continued, so the prediction stays consistent with the Jacobian and the filter can walk back.
            if (nSoc > FullScale_nSoC) ocv_uV += (nSoc - FullScale_nSoC) * _profile.OcvSlope_uV_per_pct(FullScale_pcm, t) / 10000000;
            else if (nSoc < 0) ocv_uV += nSoc * _profile.OcvSlope_uV_per_pct(0, t) / 10000000;
            long predicted = ocv_uV + _v1_uV[c] + ohmic_uV;
            long innovation = (long)voltage_mV * 1000 - predicted;

            // Measurement noise: base σ plus an uncertain share of the modelled overpotential, at a 1 s cadence.
            long baseSigma = resting ? SocFilterTuning.VoltageNoiseRest_uV : SocFilterTuning.VoltageNoiseLoad_uV;
            long v1 = _v1_uV[c];
            long overpotential = (ohmic_uV < 0 ? -ohmic_uV : ohmic_uV) + (v1 < 0 ? -v1 : v1);
            long shareSigma = overpotential * SocFilterTuning.OverpotentialUncertainty_permille / 1000;
            long interval = interval_ms < MinMeasurementInterval_ms ? MinMeasurementInterval_ms : (interval_ms > MaxMeasurementInterval_ms ? MaxMeasurementInterval_ms : interval_ms);
            long noise = shareSigma < (1L << 20) ? baseSigma * baseSigma + shareSigma * shareSigma : long.MaxValue / SocFilterTuning.ModelErrorCorrelation_ms;
            long r = noise * SocFilterTuning.ModelErrorCorrelation_ms / interval;

            // Both fractions stay below 2^31: OCV slopes under 5 V per %, R0 under 1.9 Ω (beyond: held there).
            if (slope > 5000000) slope = 5000000;
            long hs = (slope << 32) / 10000000;
            long hb = -(((long)(r0 < 1900000 ? r0 : 1900000)) << 40) / 1000000000;
            long pss = _pSS[c], psv = _pSV[c], psb = _pSB[c], pvv = _pVV[c], pvb = _pVB[c], pbb = _pBB[c];
            // H·P and H·P·Hᵀ with the Q32 (hs) and Q40 (hb) products inline, as FixedMath.MulQ32/MulQ40 round them.
            long hsPss = (((pss >> 31) * hs + 1) >> 1) + (((pss & 0x7FFFFFFFL) * hs + (1L << 31)) >> 32);
            long hsPsv = (((psv >> 31) * hs + 1) >> 1) + (((psv & 0x7FFFFFFFL) * hs + (1L << 31)) >> 32);
            long hsPsb = (((psb >> 31) * hs + 1) >> 1) + (((psb & 0x7FFFFFFFL) * hs + (1L << 31)) >> 32);
            long hbPsb = (((psb >> 31) * hb + (1L << 8)) >> 9) + (((psb & 0x7FFFFFFFL) * hb + (1L << 39)) >> 40);
            long hbPvb = (((pvb >> 31) * hb + (1L << 8)) >> 9) + (((pvb & 0x7FFFFFFFL) * hb + (1L << 39)) >> 40);
            long hbPbb = (((pbb >> 31) * hb + (1L << 8)) >> 9) + (((pbb & 0x7FFFFFFFL) * hb + (1L << 39)) >> 40);
            long phS = hsPss + psv + hbPsb;
            long phV = hsPsv + pvv + hbPvb;
            long phB = hsPsb + pvb + hbPbb;
            long hsPhS = (((phS >> 31) * hs + 1) >> 1) + (((phS & 0x7FFFFFFFL) * hs + (1L << 31)) >> 32);
            long hbPhB = (((phB >> 31) * hb + (1L << 8)) >> 9) + (((phB & 0x7FFFFFFFL) * hb + (1L << 39)) >> 40);
            long s = hsPhS + phV + hbPhB + r;
            if (s <= 0) return;

            int down, gainSShift, gainVShift, gainBShift;
            long sNormalized = FixedMath.NormalizeDenominator(s, out down);
            long gainS = FixedMath.RatioBy(phS, sNormalized, down, out gainSShift);
            long gainV = FixedMath.RatioBy(phV, sNormalized, down, out gainVShift);
            long gainB = FixedMath.RatioBy(phB, sNormalized, down, out gainBShift);
            // gain·x as FixedMath.MulShift rounds it, inline: each gain's shift case is decided once for the update of
            // the state and of the covariance row it applies to, and each operand is split into its 31-bit halves once.
            const long Low31 = 0x7FFFFFFFL;
            long innovationHigh = innovation >> 31, innovationLow = innovation & Low31;
            long phSHigh = phS >> 31, phSLow = phS & Low31;
            long phVHigh = phV >> 31, phVLow = phV & Low31;
            long phBHigh = phB >> 31, phBLow = phB & Low31;
            long dSoc, kPhS, kPhVS, kPhBS, dV1, kPhV, kPhBV, dBias, kPhB;
            if (gainSShift > 31)
            {
                int hiShift = gainSShift - 31;
                long hiHalf = 1L << (gainSShift - 32), half = 1L << (gainSShift - 1);
                dSoc = ((innovationHigh * gainS + hiHalf) >> hiShift) + ((innovationLow * gainS + half) >> gainSShift);
                kPhS = ((phSHigh * gainS + hiHalf) >> hiShift) + ((phSLow * gainS + half) >> gainSShift);
                kPhVS = ((phVHigh * gainS + hiHalf) >> hiShift) + ((phVLow * gainS + half) >> gainSShift);
                kPhBS = ((phBHigh * gainS + hiHalf) >> hiShift) + ((phBLow * gainS + half) >> gainSShift);
            }
            else if (gainSShift == 31)
            {
                dSoc = innovationHigh * gainS + ((innovationLow * gainS + (1L << 30)) >> 31);
                kPhS = phSHigh * gainS + ((phSLow * gainS + (1L << 30)) >> 31);
                kPhVS = phVHigh * gainS + ((phVLow * gainS + (1L << 30)) >> 31);
                kPhBS = phBHigh * gainS + ((phBLow * gainS + (1L << 30)) >> 31);
            }
            else if (gainSShift > 0)
            {
                int up = 31 - gainSShift;
                long half = 1L << (gainSShift - 1);
                dSoc = (innovationHigh * gainS << up) + ((innovationLow * gainS + half) >> gainSShift);
                kPhS = (phSHigh * gainS << up) + ((phSLow * gainS + half) >> gainSShift);
                kPhVS = (phVHigh * gainS << up) + ((phVLow * gainS + half) >> gainSShift);
                kPhBS = (phBHigh * gainS << up) + ((phBLow * gainS + half) >> gainSShift);
            }
            else
            {
                dSoc = (innovationHigh * gainS << 31) + innovationLow * gainS;
                kPhS = (phSHigh * gainS << 31) + phSLow * gainS;
                kPhVS = (phVHigh * gainS << 31) + phVLow * gainS;
                kPhBS = (phBHigh * gainS << 31) + phBLow * gainS;
            }
            if (gainVShift > 31)
            {
                int hiShift = gainVShift - 31;
                long hiHalf = 1L << (gainVShift - 32), half = 1L << (gainVShift - 1);
                dV1 = ((innovationHigh * gainV + hiHalf) >> hiShift) + ((innovationLow * gainV + half) >> gainVShift);
                kPhV = ((phVHigh * gainV + hiHalf) >> hiShift) + ((phVLow * gainV + half) >> gainVShift);
                kPhBV = ((phBHigh * gainV + hiHalf) >> hiShift) + ((phBLow * gainV + half) >> gainVShift);
            }
            else if (gainVShift == 31)
            {
                dV1 = innovationHigh * gainV + ((innovationLow * gainV + (1L << 30)) >> 31);
                kPhV = phVHigh * gainV + ((phVLow * gainV + (1L << 30)) >> 31);
                kPhBV = phBHigh * gainV + ((phBLow * gainV + (1L << 30)) >> 31);
            }
            else if (gainVShift > 0)
            {
                int up = 31 - gainVShift;
                long half = 1L << (gainVShift - 1);
                dV1 = (innovationHigh * gainV << up) + ((innovationLow * gainV + half) >> gainVShift);
                kPhV = (phVHigh * gainV << up) + ((phVLow * gainV + half) >> gainVShift);
                kPhBV = (phBHigh * gainV << up) + ((phBLow * gainV + half) >> gainVShift);
            }
            else
            {
                dV1 = (innovationHigh * gainV << 31) + innovationLow * gainV;
                kPhV = (phVHigh * gainV << 31) + phVLow * gainV;
                kPhBV = (phBHigh * gainV << 31) + phBLow * gainV;
            }
            if (gainBShift > 31)
            {
                int hiShift = gainBShift - 31;
                long hiHalf = 1L << (gainBShift - 32), half = 1L << (gainBShift - 1);
                dBias = ((innovationHigh * gainB + hiHalf) >> hiShift) + ((innovationLow * gainB + half) >> gainBShift);
                kPhB = ((phBHigh * gainB + hiHalf) >> hiShift) + ((phBLow * gainB + half) >> gainBShift);
            }
            else if (gainBShift == 31)
            {
                dBias = innovationHigh * gainB + ((innovationLow * gainB + (1L << 30)) >> 31);
                kPhB = phBHigh * gainB + ((phBLow * gainB + (1L << 30)) >> 31);
            }
            else if (gainBShift > 0)
            {
                int up = 31 - gainBShift;
                long half = 1L << (gainBShift - 1);
                dBias = (innovationHigh * gainB << up) + ((innovationLow * gainB + half) >> gainBShift);
                kPhB = (phBHigh * gainB << up) + ((phBLow * gainB + half) >> gainBShift);
            }
            else
            {
                dBias = (innovationHigh * gainB << 31) + innovationLow * gainB;
                kPhB = (phBHigh * gainB << 31) + phBLow * gainB;
            }

            // The charge is held within −5..105 %, so a correction beyond ±200 % changes nothing but could overflow.
            if (dSoc > 2 * FullScale_nSoC) dSoc = 2 * FullScale_nSoC;
            if (dSoc < -2 * FullScale_nSoC) dSoc = -2 * FullScale_nSoC;
            long charge = _charge_uAms[c] + (dSoc * _q36 + (dSoc < 0 ? -5 : 5)) / 10;
            long low = -_fullCharge_uAms / 20, high = _fullCharge_uAms + _fullCharge_uAms / 20;
            if (charge < low) charge = low;
            if (charge > high) charge = high;
            _charge_uAms[c] = charge;
            _v1_uV[c] += dV1;
            long bias = _bias_nA[c] + dBias;
            long maxBias = _oneC_uA * SocFilterTuning.MaxBias_mC; // nA
            if (bias > maxBias) bias = maxBias;
            if (bias < -maxBias) bias = -maxBias;
            _biasSum_nA += bias - _bias_nA[c];
            _bias_nA[c] = bias;

            _pSS[c] = pss - kPhS;
            _pSV[c] = psv - kPhVS;
            _pSB[c] = psb - kPhBS;
            _pVV[c] = pvv - kPhV;
            _pVB[c] = pvb - kPhBV;
            _pBB[c] = pbb - kPhB;
        }

        /// <summary>Keeps the covariance positive definite despite rounding: variances within 1..2^61, |ρ| ≤ 0.999.
        /// The roots are only taken when a cheap lower bound of σ_a·σ_b does not already show the correlation within
        /// its limit (the usual case): then the result is the same as with exact roots every step.</summary>
        private void ConditionCovariance(int c)
        {
            long pss = _pSS[c], pvv = _pVV[c], pbb = _pBB[c];
            if (pss < 1) _pSS[c] = pss = 1; else if (pss > MaxVariance) _pSS[c] = pss = MaxVariance;
            if (pvv < 1) _pVV[c] = pvv = 1; else if (pvv > MaxVariance) _pVV[c] = pvv = MaxVariance;
            if (pbb < 1) _pBB[c] = pbb = 1; else if (pbb > MaxVariance) _pBB[c] = pbb = MaxVariance;
            // σ ≥ the root of a smaller variance; below the variance of the kept root r, σ = p/√p > p/(r + 1).
            long lowS = pss >= _rootOfS[c] ? _sigmaS[c] : pss / (_sigmaS[c] + 1);
            long lowV = pvv >= _rootOfV[c] ? _sigmaV[c] : pvv / (_sigmaV[c] + 1);
            long lowB = pbb >= _rootOfB[c] ? _sigmaB[c] : pbb / (_sigmaB[c] + 1);
            long psv = _pSV[c], psb = _pSB[c], pvb = _pVB[c];
            long limitSV = lowS * lowV, limitSB = lowS * lowB, limitVB = lowV * lowB;
            limitSV -= (limitSV + 500) / 1000;
            limitSB -= (limitSB + 500) / 1000;
            limitVB -= (limitVB + 500) / 1000;
            if (psv <= limitSV && psv >= -limitSV && psb <= limitSB && psb >= -limitSB && pvb <= limitVB && pvb >= -limitVB) return;
            long sS = FixedMath.SqrtFrom(pss, _sigmaS[c]), sV = FixedMath.SqrtFrom(pvv, _sigmaV[c]), sB = FixedMath.SqrtFrom(pbb, _sigmaB[c]);
            _sigmaS[c] = sS; _rootOfS[c] = pss;
            _sigmaV[c] = sV; _rootOfV[c] = pvv;
            _sigmaB[c] = sB; _rootOfB[c] = pbb;
            _pSV[c] = ClampCorrelation(psv, sS * sV);
            _pSB[c] = ClampCorrelation(psb, sS * sB);
            _pVB[c] = ClampCorrelation(pvb, sV * sB);
        }

        private static long ClampCorrelation(long cov, long sigmaProduct)
        {
            // σ_a·σ_b < 2^61: 0.999 of it, rounded as MulDiv(σ_a, σ_b·999, 1000) would within a unit.
            long limit = sigmaProduct - (sigmaProduct + 500) / 1000;
            if (cov > limit) return limit;
            if (cov < -limit) return -limit;
            return cov;
        }

        /// <summary>End of charge (CV level reached, taper current) sets 100 %; the cut-off voltage at a low
        /// discharge rate sets 0 %. Both are hard anchors that also feed the capacity estimate.</summary>
        private void Calibrate(int c, int voltage_mV)
        {
            long current = _current_uA - _bias_nA[c] / 1000;
            long taper = _oneC_uA * _profile.EndOfChargeCurrent_mC / 1000;
            if (voltage_mV >= _profile.EndOfChargeVoltage_mV - 15 && current > 0 && current <= taper)
            {
                if (_calibrationFlag[c] == 0 && _soc_pcm[c] < FullScale_pcm - 200) { _calibrationFlag[c] = 1; _sohWorkPending = true; }
                SetCalibratedSoc(c, FullScale_pcm, 500);
            }
            else if (voltage_mV <= _profile.EndOfDischargeVoltage_mV && current < 0 && -current <= _oneC_uA / 5)
            {
                if (_calibrationFlag[c] == 0 && _soc_pcm[c] > 200) { _calibrationFlag[c] = 2; _sohWorkPending = true; }
                SetCalibratedSoc(c, 0, 1000);
            }
        }

        private void SetCalibratedSoc(int c, int soc_pcm, int sigma_pcm)
        {
            _charge_uAms[c] = ChargeFromSoc_uAms(soc_pcm);
            long sigma = (long)sigma_pcm * 10000;
            if (_pSS[c] > sigma * sigma) _pSS[c] = sigma * sigma;
            _pSV[c] = 0;
            _pSB[c] = 0;
        }

        // ---------------------------------------------------------------- resistance SoH samples

        /// <summary>ΔV/ΔI between the cell's consecutive steps (about 1 s apart, the profile's R0 is a 1 s
        /// resistance) when both currents were fresh and differ by at least C/4.</summary>
        private void CaptureResistanceSample(int c, int voltage_mV, long time_ms, bool currentFresh, int r0_uOhm)
        {
            if (currentFresh && _stepPairValid[c] && time_ms - _stepPairTime_ms[c] <= KalmanPeriod_ms + KalmanSlack_ms * 2 && time_ms > _stepPairTime_ms[c])
            {
                long deltaI = _current_uA - _stepPairCurrent_uA[c];
                if (FixedMath.Abs(deltaI) >= _oneC_uA / 4)
                {
                    long deltaV_uV = ((long)voltage_mV - _lastCellVoltage_mV[c]) * 1000;
                    long measured_uOhm = deltaV_uV * 1000000 / deltaI;
                    long reference = r0_uOhm; // the profile's R0 at this step's SoC and temperature
                    long ratio = measured_uOhm * FullScale_pcm / reference;
                    if (ratio > 30000 && ratio < 500000)
                    {
                        _pendingRatioSum_pcm[c] += ratio;
                        _pendingRatioCount[c]++;
                        _sohWorkPending = true;
                    }
                }
            }
            _lastCellVoltage_mV[c] = voltage_mV;
            // A pair is only usable if both of its currents were fresh samples (not a held value).
            _stepPairValid[c] = currentFresh;
            _stepPairTime_ms[c] = time_ms;
            _stepPairCurrent_uA[c] = _current_uA;
        }
    }
}
