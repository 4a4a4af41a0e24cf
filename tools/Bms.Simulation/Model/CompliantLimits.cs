using Bms.Firmware.Limits;
using Bms.Firmware.Protection;

namespace Bms.Simulation.Model;

/// <summary>
/// A load or charger that obeys the BMS: the firmware's own derating tables (<see cref="LimitsConfiguration"/>
/// derived from the chemistry envelope, as the firmware derives them) evaluated on the simulated pack — the
/// temperature trapezoids on the thermistors, the SoC taper on the true pack SoC and the voltage-headroom taper
/// on the cell voltages the requested current would produce. A vehicle drive unit or a DC fast charger that
/// follows the BMS's published limits behaves like this; it never drives a cell into a protection warning.
/// </summary>
public sealed class CompliantLimits
{
    /// <summary>Share of the computed limit actually used (the firmware's SoC estimate may differ from the truth).</summary>
    public const double Margin = 0.95;

    private readonly LimitsConfiguration _limits;

    public CompliantLimits(PackModel pack)
    {
        var protection = ProtectionConfiguration.FromEnvelope(pack.Profile.Envelope, pack.NominalCapacity_mAh);
        _limits = LimitsConfiguration.FromProtection(protection);
    }

    public LimitsConfiguration Tables => _limits;

    /// <summary>The largest current (+ charge, − discharge) of the requested sign and at most its magnitude that the limits allow.</summary>
    public double Comply(PackModel pack, double requested_A)
    {
        if (requested_A == 0) return 0;
        if (Allowed(pack, requested_A)) return requested_A;
        // The allowed magnitude falls as the magnitude rises (voltage headroom): bisect on the magnitude.
        double lo = 0, hi = Math.Abs(requested_A), sign = Math.Sign(requested_A);
        for (int k = 0; k < 30; k++)
        {
            double mid = 0.5 * (lo + hi);
            if (Allowed(pack, sign * mid)) lo = mid; else hi = mid;
        }
        return sign * lo;
    }

    private bool Allowed(PackModel pack, double current_A) => Math.Abs(current_A) <= Limit_A(pack, current_A);

    /// <summary>The limit magnitude, A, for current flowing in the direction of <paramref name="current_A"/>, at that current.</summary>
    public double Limit_A(PackModel pack, double current_A)
    {
        var c = _limits;
        double maxT = double.MinValue, minT = double.MaxValue;
        for (int s = 0; s < pack.SensorCell.Length; s++)
        {
            maxT = Math.Max(maxT, pack.SensorTemperature_C(s) * 10);
            minT = Math.Min(minT, pack.SensorTemperature_C(s) * 10);
        }
        if (pack.SensorCell.Length == 0) { maxT = minT = 250; }
        double maxV = double.MinValue, minV = double.MaxValue;
        foreach (var cell in pack.Cells)
        {
            double v = pack.Terminal_V(cell, current_A) * 1000;
            maxV = Math.Max(maxV, v);
            minV = Math.Min(minV, v);
        }
        double soc = pack.PackSoc * 100000;
        if (current_A > 0)
        {
            double fT = Math.Min(Trapezoid(minT, c.ChargeTemperatureZeroLow_dC, c.ChargeTemperatureFullLow_dC, c.ChargeTemperatureFullHigh_dC, c.ChargeTemperatureZeroHigh_dC),
                                 Trapezoid(maxT, c.ChargeTemperatureZeroLow_dC, c.ChargeTemperatureFullLow_dC, c.ChargeTemperatureFullHigh_dC, c.ChargeTemperatureZeroHigh_dC));
            double fSoc = soc <= c.ChargeSocTaperStart_pcm ? 1
                : 1 - (1 - c.ChargeSocEndFactor_permille / 1000.0) * (soc - c.ChargeSocTaperStart_pcm) / (100000 - c.ChargeSocTaperStart_pcm);
            double fV = Falling(maxV, c.ChargeVoltageTaperStart_mV, c.ChargeVoltageZero_mV);
            return Margin * c.MaxCharge_mA / 1000.0 * Math.Max(0, Math.Min(fT, Math.Min(fSoc, fV)));
        }
        else
        {
            double fT = Math.Min(Trapezoid(minT, c.DischargeTemperatureZeroLow_dC, c.DischargeTemperatureFullLow_dC, c.DischargeTemperatureFullHigh_dC, c.DischargeTemperatureZeroHigh_dC),
                                 Trapezoid(maxT, c.DischargeTemperatureZeroLow_dC, c.DischargeTemperatureFullLow_dC, c.DischargeTemperatureFullHigh_dC, c.DischargeTemperatureZeroHigh_dC));
            double fSoc = soc >= c.DischargeSocTaperStart_pcm ? 1
                : c.DischargeSocEndFactor_permille / 1000.0 + (1 - c.DischargeSocEndFactor_permille / 1000.0) * soc / c.DischargeSocTaperStart_pcm;
            double fV = Rising(minV, c.DischargeVoltageZero_mV, c.DischargeVoltageTaperStart_mV);
            return Margin * c.MaxDischarge_mA / 1000.0 * Math.Max(0, Math.Min(fT, Math.Min(fSoc, fV)));
        }
    }

    private static double Trapezoid(double x, double zeroLow, double fullLow, double fullHigh, double zeroHigh)
    {
        if (x <= zeroLow || x >= zeroHigh) return 0;
        if (x < fullLow) return (x - zeroLow) / (fullLow - zeroLow);
        if (x > fullHigh) return (zeroHigh - x) / (zeroHigh - fullHigh);
        return 1;
    }

    // 1 at or below start, 0 at or above zero.
    private static double Falling(double x, double start, double zero) => x <= start ? 1 : x >= zero ? 0 : (zero - x) / (zero - start);

    // 0 at or below zero, 1 at or above start.
    private static double Rising(double x, double zero, double start) => x >= start ? 1 : x <= zero ? 0 : (x - zero) / (start - zero);
}
