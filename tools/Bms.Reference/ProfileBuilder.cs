using System.Globalization;
using System.Text;
using Bms.Traces.Import;

namespace Bms.Reference;

/// <summary>
/// Derives the NMC/graphite chemistry tables of the firmware from the Samsung INR18650-30Q recordings
/// (ARTS-Lab dataset, CC BY-SA 4.0): the OCV–SoC table from the C/10 discharge (terminal voltage plus the
/// overpotential I·R_dc, R_dc the DC resistance of the ≈9 min HPPC steps at 20 °C), averaged with the rest-end
/// voltages of the HPPC tests where those cover the SoC range (≈5–95 %), and R0, R1, τ1 per SoC and ambient temperature from
/// the HPPC tests. Deterministic: the firmware tables are this class's output (see ChemistryProfileDerivationTests).
/// </summary>
public static class ProfileBuilder
{
    /// <summary>SoC grid of the OCV table (per cent mille).</summary>
    public const int OcvStep_pcm = 2500;
    /// <summary>SoC grid of the resistance tables (per cent mille).</summary>
    public const int ResistanceStep_pcm = 10000;
    public static readonly int[] Temperatures_C = { 20, 30, 40 };
    public static readonly string[] PulseRates = { "C2", "1C", "2C" };

    /// <summary>One HPPC characterisation point (one SoC step of one file).</summary>
    public sealed record HppcPoint(double Soc_pct, double RestVoltage_V, double R0_Ohm, double R1_Ohm, double Tau1_s, double Rdc_Ohm);

    public sealed class NmcTables
    {
        public required int[] Ocv_mV { get; init; }
        /// <summary>[temperature index][soc index] (µΩ).</summary>
        public required int[][] R0_uOhm { get; init; }
        public required int[][] R1_uOhm { get; init; }
        /// <summary>[temperature index][soc index] (ms).</summary>
        public required int[][] Tau1_ms { get; init; }
        public required int Capacity_mAh { get; init; }
        public required List<HppcPoint>[] PointsByTemperature { get; init; }
    }

    public static NmcTables BuildNmc(string dataDirectory)
    {
        string dir = Path.Combine(dataDirectory, "samsung30q");
        var points = new List<HppcPoint>[Temperatures_C.Length];
        var r0 = new int[Temperatures_C.Length][];
        var r1 = new int[Temperatures_C.Length][];
        var tau = new int[Temperatures_C.Length][];
        for (int ti = 0; ti < Temperatures_C.Length; ti++)
        {
            points[ti] = new List<HppcPoint>();
            foreach (string rate in PulseRates)
            {
                var rec = Samsung30qRecording.Read(Path.Combine(dir, $"DNN01_HPPC_{rate}_{Temperatures_C[ti]}amb.csv"));
                points[ti].AddRange(ExtractHppcPoints(rec));
            }
            r0[ti] = Resample(points[ti], p => p.R0_Ohm * 1e6);
            r1[ti] = Resample(points[ti], p => p.R1_Ohm * 1e6);
            tau[ti] = Resample(points[ti], p => p.Tau1_s * 1000);
        }

        var c10 = Samsung30qRecording.Read(Path.Combine(dir, "Q30_S001_C10.csv"));
        var allPoints = points.SelectMany(p => p).ToList();
        int n = 100000 / OcvStep_pcm + 1;
        var ocv = new int[n];
        for (int k = 0; k < n; k++)
        {
            double soc = k * OcvStep_pcm / 1000.0;
            double v, i;
            if (k == n - 1)
            {
                // Full: the rest voltage before the discharge starts is the open-circuit voltage.
                v = c10.Voltage_V[0];
                i = 0;
            }
            else
            {
                (v, i) = AtSoc(c10, soc);
            }
            // A C/10 discharge runs for hours: its overpotential includes diffusion, so compensate with the DC
            // resistance of the long HPPC steps at 20 °C (the C/10 file was recorded at ≈22 °C).
            double rTotal = Interpolate(points[0], soc, p => p.Rdc_Ohm);
            double c10Ocv = v - i * rTotal;
            // Two cells were characterised: S001 (C/10) and DNN01 (HPPC rests at 20/30/40 °C). Where the HPPC rests
            // cover the SoC range, the table is the mean of both, so that it represents the cell type rather than
            // one specimen (they differ by up to ±25 mV, i.e. up to ±3 % SoC, around 65 % and below 15 %).
            double hppcOcv = HppcRestOcv(allPoints, soc);
            ocv[k] = (int)Math.Round((double.IsNaN(hppcOcv) ? c10Ocv : 0.5 * (c10Ocv + hppcOcv)) * 1000);
        }
        // An OCV table must be strictly increasing for the inverse lookup.
        for (int k = 1; k < n; k++) if (ocv[k] <= ocv[k - 1]) ocv[k] = ocv[k - 1] + 1;

        return new NmcTables
        {
            Ocv_mV = ocv,
            R0_uOhm = r0,
            R1_uOhm = r1,
            Tau1_ms = tau,
            Capacity_mAh = (int)Math.Round(c10.DischargedCapacity_Ah * 1000),
            PointsByTemperature = points,
        };
    }

    /// <summary>
    /// Every HPPC step starts after a rest of about an hour with a discharge pulse: R0 is ΔV/ΔI over the first
    /// sample of the pulse and of its release (1 s sampling, so R0 includes the first second of polarisation).
    /// R1 and τ1 come from the relaxation after the long (≈1 A, 541 s) SoC step: V(t) = V∞ − A·e^(−t/τ1) fitted
    /// over the first 900 s, then R1 = A / (|I|·(1 − e^(−T/τ1))) for a step of length T.
    /// </summary>
    public static List<HppcPoint> ExtractHppcPoints(Samsung30qRecording rec)
    {
        var list = new List<HppcPoint>();
        double[] i = rec.Current_A, v = rec.Voltage_V;
        int n = rec.Count;
        const double restCurrent = 0.05;
        int k = 1;
        while (k < n - 1)
        {
            if (!(Math.Abs(i[k]) < restCurrent && i[k + 1] < -0.5 && RestLength(i, k) > 1000)) { k++; continue; }
            int pulseStart = k + 1;
            int pulseEnd = pulseStart;
            while (pulseEnd + 1 < n && i[pulseEnd + 1] < -0.5) pulseEnd++;
            if (pulseEnd + 1 >= n) break;
            double r0Apply = (v[k] - v[pulseStart]) / (i[k] - i[pulseStart]);
            double r0Release = (v[pulseEnd + 1] - v[pulseEnd]) / (i[pulseEnd + 1] - i[pulseEnd]);
            double r0 = 0.5 * (r0Apply + r0Release);

            // Find the long SoC step that follows (the first discharge segment longer than 300 s).
            int j = pulseEnd + 1;
            int stepStart = -1, stepEnd = -1;
            while (j < n && j < pulseEnd + 2000)
            {
                if (i[j] < -0.5)
                {
                    int e = j;
                    while (e + 1 < n && i[e + 1] < -0.5) e++;
                    if (e - j + 1 > 300) { stepStart = j; stepEnd = e; break; }
                    j = e + 1;
                }
                else j++;
            }
            double r1 = double.NaN, tau = double.NaN, rdc = double.NaN;
            if (stepStart > 0 && stepEnd + 901 < n && RestAfter(i, stepEnd + 1) >= 900)
            {
                double stepCurrent = 0;
                for (int s = stepStart; s <= stepEnd; s++) stepCurrent += i[s];
                stepCurrent /= stepEnd - stepStart + 1;
                (double amp, double t1) = FitRelaxation(v, stepEnd + 1, 900);
                double stepLength = stepEnd - stepStart + 1;
                r1 = amp / (Math.Abs(stepCurrent) * (1 - Math.Exp(-stepLength / t1)));
                tau = t1;
                // DC resistance of the whole step: relaxed voltage after the rest minus the loaded voltage at the
                // step's end, over the step current (ohmic + charge transfer + diffusion after ~9 min).
                int restEnd = stepEnd + RestAfter(i, stepEnd + 1);
                rdc = (v[restEnd] - v[stepEnd]) / Math.Abs(stepCurrent);
            }
            if (!double.IsNaN(r1) && r0 > 0 && r1 > 0)
                list.Add(new HppcPoint(rec.TrueSoc_pct[k], v[k], r0, r1, tau, rdc));
            k = pulseEnd + 1;
        }
        return list;
    }

    private static int RestLength(double[] i, int k)
    {
        int len = 0;
        while (k - len >= 0 && Math.Abs(i[k - len]) < 0.05) len++;
        return len;
    }

    private static int RestAfter(double[] i, int k)
    {
        int len = 0;
        while (k + len < i.Length && Math.Abs(i[k + len]) < 0.05) len++;
        return len;
    }

    /// <summary>Least squares of V(t) = c − A·e^(−t/τ) over a grid of τ (linear in c and A for fixed τ).</summary>
    private static (double Amplitude, double Tau) FitRelaxation(double[] v, int start, int length)
    {
        double bestErr = double.MaxValue, bestA = 0, bestTau = 0;
        for (double t1 = 5; t1 <= 600; t1 *= 1.05)
        {
            double sx = 0, sy = 0, sxx = 0, sxy = 0;
            for (int s = 0; s < length; s++)
            {
                double x = Math.Exp(-s / t1), y = v[start + s];
                sx += x; sy += y; sxx += x * x; sxy += x * y;
            }
            double det = length * sxx - sx * sx;
            double b = (length * sxy - sx * sy) / det; // coefficient of e^(−t/τ): −A
            double c = (sy - b * sx) / length;
            double err = 0;
            for (int s = 0; s < length; s++)
            {
                double r = v[start + s] - (c + b * Math.Exp(-s / t1));
                err += r * r;
            }
            if (err < bestErr) { bestErr = err; bestA = -b; bestTau = t1; }
        }
        return (bestA, bestTau);
    }

    /// <summary>Rest-end voltage of the HPPC points interpolated at <paramref name="soc"/>; NaN outside their range.</summary>
    private static double HppcRestOcv(List<HppcPoint> points, double soc)
    {
        double lo = points.Min(p => p.Soc_pct), hi = points.Max(p => p.Soc_pct);
        if (soc < lo || soc > hi) return double.NaN;
        return Interpolate(points, soc, p => p.RestVoltage_V);
    }

    /// <summary>Voltage and current of the C/10 discharge where its true SoC crosses <paramref name="soc"/>.</summary>
    private static (double V, double I) AtSoc(Samsung30qRecording rec, double soc)
    {
        var s = rec.TrueSoc_pct;
        for (int k = 1; k <= rec.EndOfDischargeIndex; k++)
        {
            if (s[k] <= soc && s[k - 1] >= soc && rec.Current_A[k] < -0.01)
            {
                double f = s[k - 1] == s[k] ? 0 : (s[k - 1] - soc) / (s[k - 1] - s[k]);
                return (rec.Voltage_V[k - 1] + f * (rec.Voltage_V[k] - rec.Voltage_V[k - 1]), rec.Current_A[k]);
            }
        }
        int e = rec.EndOfDischargeIndex;
        return (rec.Voltage_V[e], rec.Current_A[e]);
    }

    /// <summary>Mean of the points (all pulse rates) interpolated linearly in SoC, held flat beyond the ends.</summary>
    private static double Interpolate(List<HppcPoint> points, double soc, Func<HppcPoint, double> value)
    {
        // Points come from three files with nearly the same SoC steps: average within ±2.5 % bins first.
        var sorted = points.OrderBy(p => p.Soc_pct).ToList();
        var bins = new List<(double Soc, double Value)>();
        int a = 0;
        while (a < sorted.Count)
        {
            int b = a;
            while (b + 1 < sorted.Count && sorted[b + 1].Soc_pct - sorted[a].Soc_pct < 2.5) b++;
            double ss = 0, vv = 0;
            for (int q = a; q <= b; q++) { ss += sorted[q].Soc_pct; vv += value(sorted[q]); }
            bins.Add((ss / (b - a + 1), vv / (b - a + 1)));
            a = b + 1;
        }
        if (soc <= bins[0].Soc) return bins[0].Value;
        if (soc >= bins[^1].Soc) return bins[^1].Value;
        for (int q = 1; q < bins.Count; q++)
        {
            if (soc <= bins[q].Soc)
            {
                double f = (soc - bins[q - 1].Soc) / (bins[q].Soc - bins[q - 1].Soc);
                return bins[q - 1].Value + f * (bins[q].Value - bins[q - 1].Value);
            }
        }
        return bins[^1].Value;
    }

    private static int[] Resample(List<HppcPoint> points, Func<HppcPoint, double> value)
    {
        int n = 100000 / ResistanceStep_pcm + 1;
        var result = new int[n];
        for (int k = 0; k < n; k++) result[k] = (int)Math.Round(Interpolate(points, k * ResistanceStep_pcm / 1000.0, value));
        return result;
    }

    /// <summary>The tables as C# array initialisers, for pasting into firmware/Bms.Firmware/Chemistry/NmcGraphiteTables.cs.</summary>
    public static string ToCSharp(NmcTables t)
    {
        var sb = new StringBuilder();
        sb.AppendLine("Capacity_mAh = " + t.Capacity_mAh);
        sb.AppendLine("Ocv_mV = { " + string.Join(", ", t.Ocv_mV) + " }");
        for (int ti = 0; ti < Temperatures_C.Length; ti++)
        {
            sb.AppendLine($"R0_uOhm[{Temperatures_C[ti]}] = {{ " + string.Join(", ", t.R0_uOhm[ti]) + " }");
            sb.AppendLine($"R1_uOhm[{Temperatures_C[ti]}] = {{ " + string.Join(", ", t.R1_uOhm[ti]) + " }");
            sb.AppendLine($"Tau1_ms[{Temperatures_C[ti]}] = {{ " + string.Join(", ", t.Tau1_ms[ti]) + " }");
        }
        return sb.ToString();
    }
}
