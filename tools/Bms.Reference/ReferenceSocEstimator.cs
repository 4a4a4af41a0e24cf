using Bms.Firmware.Chemistry;
using Bms.Firmware.Estimation;
using Bms.Firmware.Measurement;

namespace Bms.Reference;

/// <summary>
/// The firmware's SoC estimator (<see cref="StateEstimator"/>) written again in double precision: same model
/// (R0 + R1||C1, OCV table, current-offset state), same tuning (<see cref="SocFilterTuning"/>), same input handling
/// (held samples, gaps, rest detection, end-of-charge/discharge calibration), same integer profile lookups.
/// Its only purpose is to show that the fixed-point arithmetic does not change the answer.
/// Same schedule too: each cell's turn (its coulomb count, prediction over the time and charge since its last step,
/// voltage update, one conditioning, calibration) once per second; a cursor walks the cells and steps at most
/// ceil(cells × tick / 1 s) of them per tick.
/// </summary>
public sealed class ReferenceSocEstimator
{
    private const double MaxCurrentHold_ms = 2000;
    private const long KalmanPeriod_ms = 2000, KalmanSlack_ms = 50;
    private const long StartPhase_ms = 2000;
    private readonly ChemistryProfile _profile;
    private readonly int _cells;
    private readonly double _capacity_As; // ampere-seconds
    private readonly double _oneC_A;

    // State per cell: soc (fraction), v1 (V), bias (A); P in those units.
    private readonly double[] _soc, _v1, _bias;
    private readonly double[,,] _p;
    private bool _started, _haveCurrent;
    private long _lastCurrentTime_ms, _lastVoltageTime_ms;
    private double _current_A;
    private int _temperature_dC = 250;
    private double _restTime_ms;
    // Per cell since its last Kalman step: elapsed current time (ms), measured charge (A·ms), gap variance (SoC²).
    private readonly double[] _pendingTime_ms, _pendingCharge_Ams, _pendingGapVariance;
    private readonly long[] _kalmanTime_ms;
    private int _nextCell;
    private long _startTime_ms;
    private bool _secondSeen;
    private long _temperatureTime_ms;
    private long _lastSecond_ms;

    /// <summary>The firmware's 1 s step does state of health only; the reference notes its time (the schedule
    /// keeps that tick free of Kalman steps).</summary>
    public void Update1s(MeasurementSnapshot snap)
    {
        if (!_started) return;
        _secondSeen = true;
        _lastSecond_ms = snap.Time_ms;
    }

    public ReferenceSocEstimator(ChemistryProfile profile, int cellCount, int capacity_mAh)
    {
        _profile = profile;
        _cells = cellCount;
        _capacity_As = capacity_mAh * 3.6;
        _oneC_A = capacity_mAh / 1000.0;
        _soc = new double[cellCount];
        _v1 = new double[cellCount];
        _bias = new double[cellCount];
        _p = new double[cellCount, 3, 3];
        _pendingTime_ms = new double[cellCount];
        _pendingCharge_Ams = new double[cellCount];
        _pendingGapVariance = new double[cellCount];
        _kalmanTime_ms = new long[cellCount];
    }

    /// <summary>The cell's SoC now: as of its last step plus what was counted since (as the firmware reports).</summary>
    public double GetCellSoc_pct(int cell) =>
        Math.Clamp(Math.Clamp(_soc[cell] + (_pendingCharge_Ams[cell] - _bias[cell] * _pendingTime_ms[cell]) / 1000.0 / _capacity_As, -0.05, 1.05) * 100, 0, 100);
    public double GetBias_mA(int cell) => _bias[cell] * 1000;

    public void Start(MeasurementSnapshot snap, int initialSoc_pcm)
    {
        UpdateTemperature(snap);
        _lastCurrentTime_ms = snap.CurrentTime_ms;
        _lastVoltageTime_ms = snap.Time_ms;
        _haveCurrent = snap.CurrentValid;
        _current_A = snap.CurrentValid ? snap.Current_mA / 1000.0 : 0;
        _restTime_ms = 0;
        bool resting = Math.Abs(_current_A) < _oneC_A * SocFilterTuning.RestCurrent_mC / 1000.0;
        for (int c = 0; c < _cells; c++)
        {
            double sigma_pcm;
            double soc_pcm;
            bool known = c < snap.CellCount && snap.CellValid[c];
            if (initialSoc_pcm >= 0) { soc_pcm = Math.Min(initialSoc_pcm, 100000); sigma_pcm = SocFilterTuning.InitialSocSigmaGiven_pcm; }
            else if (known)
            {
                double r0 = _profile.SeriesResistance_uOhm(50000, _temperature_dC) * 1e-6;
                int ocv = snap.CellVoltage_mV[c] - (int)(r0 * 1e6 * _current_A * 1e6 / 1e9);
                soc_pcm = _profile.SocFromOcv_pcm(ocv, _temperature_dC);
                sigma_pcm = resting ? SocFilterTuning.InitialSocSigmaFromOcv_pcm : SocFilterTuning.InitialSocSigmaGiven_pcm;
            }
            else { soc_pcm = 50000; sigma_pcm = SocFilterTuning.InitialSocSigmaGiven_pcm; }
            _soc[c] = soc_pcm / 100000.0;
            _v1[c] = 0;
            _bias[c] = 0;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) _p[c, i, j] = 0;
            double ss = sigma_pcm / 100000.0, sv = SocFilterTuning.InitialPolarizationSigma_uV * 1e-6, sb = _oneC_A * SocFilterTuning.InitialBiasSigma_mC / 1000.0;
            _p[c, 0, 0] = ss * ss;
            _p[c, 1, 1] = sv * sv;
            _p[c, 2, 2] = sb * sb;
            _pendingTime_ms[c] = _pendingCharge_Ams[c] = _pendingGapVariance[c] = 0;
            _kalmanTime_ms[c] = snap.Time_ms;

        }
        _nextCell = 0;
        _startTime_ms = snap.Time_ms;
        _temperatureTime_ms = snap.Time_ms;
        _started = true;
    }

    public void Update100ms(MeasurementSnapshot snap)
    {
        if (!_started) { Start(snap, -1); return; }
        if (snap.CurrentValid)
        {
            long now = snap.CurrentTime_ms;
            long dt = now - _lastCurrentTime_ms;
            double current = snap.Current_mA / 1000.0;
            if (!_haveCurrent || dt < 0)
            {
                _haveCurrent = true;
                _lastCurrentTime_ms = now;
                _current_A = current;
            }
            else if (dt > 0)
            {
                double average = (_current_A + current) / 2;
                double gap = dt > MaxCurrentHold_ms ? Math.Abs(current - _current_A) / 2 + _oneC_A / 100 : 0;
                for (int c = 0; c < _cells; c++)
                {
                    _pendingTime_ms[c] += dt;
                    _pendingCharge_Ams[c] += average * dt;
                    if (gap > 0) { double g = gap * (dt / 1000.0) / _capacity_As; _pendingGapVariance[c] += g * g; }
                }
                _current_A = current;
                _lastCurrentTime_ms = now;
                double meanBias = 0;
                for (int c = 0; c < _cells; c++) meanBias += _bias[c];
                meanBias /= _cells;
                if (Math.Abs(current - meanBias) < _oneC_A * SocFilterTuning.RestCurrent_mC / 1000.0) _restTime_ms += dt;
                else _restTime_ms = 0;
            }
        }
        long dtV = snap.Time_ms - _lastVoltageTime_ms;
        bool usable = _haveCurrent && Math.Abs(snap.Time_ms - _lastCurrentTime_ms) <= MaxCurrentHold_ms;
        if (dtV == 0) return;
        if (dtV < 0 || dtV > KalmanPeriod_ms) dtV = KalmanPeriod_ms;
        _lastVoltageTime_ms = snap.Time_ms;
        bool resting = _restTime_ms >= SocFilterTuning.RestTime_ms;
        long sinceStart = snap.Time_ms - _startTime_ms;
        long due = sinceStart >= 0 && sinceStart < StartPhase_ms ? 1 : KalmanPeriod_ms - KalmanSlack_ms;
        // The firmware keeps the tick of its 1 s task free of Kalman steps when ticks are faster than that.
        if (_secondSeen && dtV <= KalmanPeriod_ms / 4)
        {
            long sinceSecond = snap.Time_ms - _lastSecond_ms;
            if (sinceSecond > 1000 - KalmanSlack_ms && sinceSecond < 1000 + KalmanSlack_ms) return;
        }
        long allowance = (_cells * dtV * 10 + KalmanPeriod_ms * 9 - 1) / (KalmanPeriod_ms * 9);
        if (due == 1) allowance = _cells; // as the firmware: every cell every tick in the start phase
        int cell = _nextCell;
        for (long n = 0; n < allowance; n++)
        {
            long sinceStep = snap.Time_ms - _kalmanTime_ms[cell];
            if (sinceStep < 0) sinceStep = KalmanPeriod_ms;
            else if (sinceStep < due) break;
            if (n == 0 && snap.Time_ms - _temperatureTime_ms >= 1000 - KalmanSlack_ms)
            {
                // as the firmware: the mean temperature at a tick's first step, once a second
                UpdateTemperature(snap);
                _temperatureTime_ms = snap.Time_ms;
            }
            bool measured = usable && cell < snap.CellCount && snap.CellValid[cell];
            // The cell's coulomb count since its last step, then the filter step.
            _soc[cell] = Math.Clamp(_soc[cell] + (_pendingCharge_Ams[cell] - _bias[cell] * _pendingTime_ms[cell]) / 1000.0 / _capacity_As, -0.05, 1.05);
            if (_pendingTime_ms[cell] > 0) Predict(cell, _pendingTime_ms[cell], _pendingCharge_Ams[cell] / _pendingTime_ms[cell], _pendingGapVariance[cell]);
            _pendingTime_ms[cell] = _pendingCharge_Ams[cell] = _pendingGapVariance[cell] = 0;
            if (measured) Correct(cell, snap.CellVoltage_mV[cell] / 1000.0, sinceStep, resting);
            Condition(cell);
            _kalmanTime_ms[cell] = snap.Time_ms;
            if (measured) Calibrate(cell, snap.CellVoltage_mV[cell]);
            cell = cell + 1 == _cells ? 0 : cell + 1;
        }
        _nextCell = cell;
    }

    private void UpdateTemperature(MeasurementSnapshot snap)
    {
        long sum = 0; int n = 0;
        for (int t = 0; t < snap.TemperatureCount; t++) if (snap.TemperatureValid[t]) { sum += snap.Temperature_dC[t]; n++; }
        if (n > 0) _temperature_dC = (int)(sum / n);
    }

    private int SocPcm(int c) => (int)Math.Clamp(Math.Floor(_soc[c] * 100000), 0, 100000);

    /// <summary>Time update of V1 and P over the cell's pending interval with its mean measured current (the SoC
    /// itself is counted every tick).</summary>
    private void Predict(int c, double dt_ms, double measured_A, double gapVariance)
    {
        double dt = dt_ms / 1000.0;
        double current = measured_A - _bias[c];
        int soc = SocPcm(c);
        double r1 = _profile.PolarizationResistance_uOhm(soc, _temperature_dC) * 1e-6;
        double tau = _profile.PolarizationTimeConstant_ms(soc, _temperature_dC) / 1000.0;
        double a = tau / (tau + dt);
        // Butler–Volmer-shaped polarisation, V_T = 2RT/F.
        double vt = 2 * 8.314462618 * ((_temperature_dC + 2732) / 10.0) / 96485.33212;
        double x = r1 * current / vt;
        double target = vt * Math.Asinh(x);
        double dTarget = 1 / Math.Sqrt(1 + x * x);
        _v1[c] = _v1[c] * a + target * dt / (tau + dt);
        var f = new double[3, 3] { { 1, 0, -dt / _capacity_As }, { 0, a, -r1 * dTarget * dt / (tau + dt) }, { 0, 0, 1 } };
        var pNew = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 3; k++) for (int l = 0; l < 3; l++) s += f[i, k] * _p[c, k, l] * f[j, l];
                pNew[i, j] = s;
            }
        double socRate = Math.Abs(current) / _capacity_As;
        double gain = socRate * SocFilterTuning.CoulombGainUncertainty_permille / 1000.0;
        double walk = SocFilterTuning.SocWalk_nSoC_per_sqrt_s * 1e-9;
        pNew[0, 0] += (walk * walk + gain * gain) * dt;
        pNew[0, 0] += gapVariance;
        double pw = SocFilterTuning.PolarizationWalk_uV_per_sqrt_s * 1e-6;
        pNew[1, 1] += pw * pw * dt;
        double bw = SocFilterTuning.BiasWalk_uA_per_sqrt_h * 1e-6;
        pNew[2, 2] += bw * bw * dt / 3600.0;
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) _p[c, i, j] = pNew[i, j];
    }

    /// <summary>The firmware's covariance conditioning: correlations limited to ±0.999.</summary>
    private void Condition(int c)
    {
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
            {
                double limit = 0.999 * Math.Sqrt(Math.Max(0, _p[c, i, i]) * Math.Max(0, _p[c, j, j]));
                double v = Math.Clamp(_p[c, i, j], -limit, limit);
                _p[c, i, j] = _p[c, j, i] = v;
            }
    }

    private void Correct(int c, double voltage_V, double interval_ms, bool resting)
    {
        int soc = SocPcm(c);
        double current = _current_A - _bias[c];
        double r0 = _profile.SeriesResistance_uOhm(soc, _temperature_dC) * 1e-6;
        double slope = _profile.OcvSlope_uV_per_pct(soc, _temperature_dC) * 1e-6 * 100; // V per unit SoC
        double ohmic = r0 * current;
        double ocv = _profile.OcvFromSoc_mV(soc, _temperature_dC) / 1000.0;
        if (_soc[c] > 1) ocv += (_soc[c] - 1) * _profile.OcvSlope_uV_per_pct(100000, _temperature_dC) * 1e-4;
        else if (_soc[c] < 0) ocv += _soc[c] * _profile.OcvSlope_uV_per_pct(0, _temperature_dC) * 1e-4;
        double predicted = ocv + _v1[c] + ohmic;
        double e = voltage_V - predicted;
        double baseSigma = (resting ? SocFilterTuning.VoltageNoiseRest_uV : SocFilterTuning.VoltageNoiseLoad_uV) * 1e-6;
        double share = (Math.Abs(ohmic) + Math.Abs(_v1[c])) * SocFilterTuning.OverpotentialUncertainty_permille / 1000.0;
        double interval = Math.Clamp(interval_ms, 10, KalmanPeriod_ms);
        double r = (baseSigma * baseSigma + share * share) * SocFilterTuning.ModelErrorCorrelation_ms / interval;
        double[] h = { slope, 1, -r0 };
        var ph = new double[3];
        for (int i = 0; i < 3; i++) for (int k = 0; k < 3; k++) ph[i] += _p[c, i, k] * h[k];
        double s = r;
        for (int k = 0; k < 3; k++) s += h[k] * ph[k];
        _soc[c] = Math.Clamp(_soc[c] + ph[0] * e / s, -0.05, 1.05);
        _v1[c] += ph[1] * e / s;
        double maxBias = _oneC_A * SocFilterTuning.MaxBias_mC / 1000.0;
        _bias[c] = Math.Clamp(_bias[c] + ph[2] * e / s, -maxBias, maxBias);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) _p[c, i, j] -= ph[i] * ph[j] / s;
    }

    private void Calibrate(int c, int voltage_mV)
    {
        double current = _current_A - _bias[c];
        double taper = _oneC_A * _profile.EndOfChargeCurrent_mC / 1000.0;
        if (voltage_mV >= _profile.EndOfChargeVoltage_mV - 15 && current > 0 && current <= taper) SetCalibrated(c, 1.0, 0.005);
        else if (voltage_mV <= _profile.EndOfDischargeVoltage_mV && current < 0 && -current <= _oneC_A / 5) SetCalibrated(c, 0.0, 0.01);
    }

    private void SetCalibrated(int c, double soc, double sigma)
    {
        _soc[c] = soc;
        if (_p[c, 0, 0] > sigma * sigma) _p[c, 0, 0] = sigma * sigma;
        _p[c, 0, 1] = _p[c, 1, 0] = 0;
        _p[c, 0, 2] = _p[c, 2, 0] = 0;
    }
}
