using Bms.Firmware.Chemistry;
using Bms.Firmware.Estimation;
using Bms.Firmware.Measurement;
using Bms.Traces;

namespace Bms.Reference;

/// <summary>Error figures of one estimator run against a trace's soc_ref_pcm.</summary>
public sealed record SocAccuracyResult(
    string Name,
    double Duration_s,
    double RmseAfterSettle_pct,
    double MaxAbsError_pct,
    double MaxAbsErrorAfterSettle_pct,
    double? ConvergedWithin2Pct_s,
    double MaxDeviationFromReference_pct,
    double FinalOffsetEstimate_mA,
    double MaxDeviationAt_s = 0);

/// <summary>
/// Feeds a trace to the firmware <see cref="StateEstimator"/> the way the replay does: one Update100ms per tick,
/// the trace's samples held between their timestamps, an empty field marked invalid; optionally runs the
/// double-precision <see cref="ReferenceSocEstimator"/> side by side on the same snapshots.
/// </summary>
public static class SocAccuracy
{
    public const double SettleTime_s = 600;

    /// <summary>Initial SoC the accuracy runs use: <paramref name="error_pct"/> away from the truth, towards the middle.</summary>
    public static int OffsetInitialSoc_pcm(int trueSoc_pcm, double error_pct)
    {
        int delta = (int)Math.Round(error_pct * 1000);
        return trueSoc_pcm >= 50000 ? Math.Max(0, trueSoc_pcm - delta) : Math.Min(100000, trueSoc_pcm + delta);
    }

    public static SocAccuracyResult Run(Trace trace, ChemistryProfile profile, int capacity_mAh, double socInitError_pct,
        int currentOffset_mA, int tick_ms = 100, bool withReference = false, Action<TraceSample, StateEstimator>? observe = null)
    {
        var samples = trace.Samples;
        if (samples.Count == 0) throw new ArgumentException("trace has no samples", nameof(trace));
        var snap = new MeasurementSnapshot(trace.Cells, trace.Temps);
        var estimator = new StateEstimator(profile, trace.Cells, capacity_mAh);
        var reference = withReference ? new ReferenceSocEstimator(profile, trace.Cells, capacity_mAh) : null;
        long t0 = samples[0].Time_ms, tEnd = samples[^1].Time_ms;
        int index = 0;
        Fill(snap, samples[0], t0, currentOffset_mA);
        int truthStart = FirstTruth(samples);
        int initial = OffsetInitialSoc_pcm(truthStart, socInitError_pct);
        estimator.Start(snap, initial);
        reference?.Start(snap, initial);

        double sumSq = 0, maxAll = 0, maxSettled = 0, maxDev = 0, maxDevAt = 0;
        int countSettled = 0;
        double? lastBad = null;
        bool anyTruth = false;
        for (long t = t0 + tick_ms; t <= tEnd + tick_ms - 1; t += tick_ms)
        {
            bool newSample = false;
            while (index + 1 < samples.Count && samples[index + 1].Time_ms <= t) { index++; newSample = true; }
            var sample = samples[index];
            Fill(snap, sample, t, currentOffset_mA);
            estimator.Update100ms(snap);
            reference?.Update100ms(snap);
            if (t % 1000 < tick_ms)
            {
                estimator.Update1s(snap);
                reference?.Update1s(snap);
            }
            if (!newSample || sample.SocRef_pcm == Trace.Missing) continue;
            anyTruth = true;
            double est = estimator.PackSoc_pcm / 1000.0;
            double truth = sample.SocRef_pcm / 1000.0;
            double err = est - truth;
            double elapsed = (sample.Time_ms - t0) / 1000.0;
            maxAll = Math.Max(maxAll, Math.Abs(err));
            if (elapsed >= SettleTime_s)
            {
                sumSq += err * err;
                countSettled++;
                maxSettled = Math.Max(maxSettled, Math.Abs(err));
            }
            if (Math.Abs(err) > 2.0) lastBad = elapsed;
            if (reference != null)
            {
                for (int c = 0; c < trace.Cells; c++)
                {
                    double dev = Math.Abs(estimator.GetCellSoc_pcm(c) / 1000.0 - reference.GetCellSoc_pct(c));
                    if (dev > maxDev) { maxDev = dev; maxDevAt = elapsed; }
                }
            }
            observe?.Invoke(sample, estimator);
        }
        if (!anyTruth) throw new ArgumentException($"{trace.Name}: the trace has no soc_ref_pcm column to compare with");
        double duration = (tEnd - t0) / 1000.0;
        double? converged = lastBad == null ? 0 : (lastBad.Value >= duration ? null : lastBad);
        return new SocAccuracyResult(trace.Name, duration, countSettled > 0 ? Math.Sqrt(sumSq / countSettled) : double.NaN,
            maxAll, maxSettled, converged, maxDev, estimator.GetCurrentOffset_mA(0), maxDevAt);
    }

    private static int FirstTruth(List<TraceSample> samples)
    {
        foreach (var s in samples) if (s.SocRef_pcm != Trace.Missing) return s.SocRef_pcm;
        return 50000;
    }

    private static void Fill(MeasurementSnapshot snap, TraceSample sample, long time_ms, int currentOffset_mA)
    {
        snap.Time_ms = time_ms;
        snap.CurrentTime_ms = time_ms;
        snap.CurrentValid = sample.Current_mA != Trace.Missing;
        snap.Current_mA = snap.CurrentValid ? sample.Current_mA + currentOffset_mA : 0;
        for (int c = 0; c < snap.CellCount; c++)
        {
            int v = sample.Cell_mV[c];
            snap.CellValid[c] = v != Trace.Missing;
            snap.CellVoltage_mV[c] = snap.CellValid[c] ? v : 0;
        }
        for (int k = 0; k < snap.TemperatureCount; k++)
        {
            int v = sample.Temp_dC[k];
            snap.TemperatureValid[k] = v != Trace.Missing;
            snap.Temperature_dC[k] = snap.TemperatureValid[k] ? v : 0;
        }
    }
}
