namespace Bms.Simulation.Scenarios;

/// <summary>
/// A WLTP-class-3-like drive cycle (1800 s: low, medium, high and extra-high phases with maximum speeds of
/// 56.5, 76.6, 97.4 and 131.3 km/h), built from trapezoidal micro-trips, turned into normalised battery power by a
/// road-load model (inertia, rolling resistance, aerodynamic drag; regenerative braking recovers 60 %).
/// Not the official speed table, but the same phase structure, speeds and stop-and-go share.
/// </summary>
public static class DriveProfile
{
    public const double CycleLength_s = 1800;

    // (idle s, peak km/h, accelerate s, cruise s, decelerate s) per micro-trip; phases fill 589/433/455/323 s.
    private static readonly (double Idle, double Peak, double Accel, double Cruise, double Decel)[] Trips =
    {
        // low (589 s)
        (11, 18, 8, 10, 8), (15, 32, 12, 25, 12), (20, 49, 16, 50, 14), (18, 26, 9, 20, 10),
        (12, 56.5, 20, 85, 18), (15, 37, 12, 40, 12), (20, 44, 14, 48, 15),
        // medium (433 s)
        (14, 50, 16, 40, 14), (10, 76.6, 26, 120, 22), (12, 61, 18, 70, 18), (8, 45, 14, 30, 12),
        // high (455 s)
        (10, 72, 22, 60, 20), (8, 97.4, 30, 170, 25), (6, 85, 24, 60, 22),
        // extra high (323 s)
        (8, 110, 32, 70, 20), (0, 131.3, 20, 90, 60),
    };

    private static double[]? _power;

    /// <summary>Speed at second <paramref name="t"/> of the cycle, m/s.</summary>
    public static double Speed_mps(double t)
    {
        t %= CycleLength_s;
        double start = 0;
        foreach (var trip in Trips)
        {
            double a = start + trip.Idle, b = a + trip.Accel, c = b + trip.Cruise, d = c + trip.Decel;
            double peak = trip.Peak / 3.6;
            if (t < a) return 0;
            if (t < b) return peak * 0.5 * (1 - Math.Cos(Math.PI * (t - a) / trip.Accel));
            if (t < c) return peak * (1 - 0.04 * Math.Sin(2 * Math.PI * (t - b) / 37.0) * Math.Sin(Math.PI * (t - b) / trip.Cruise));
            if (t < d) return peak * 0.5 * (1 + Math.Cos(Math.PI * (t - c) / trip.Decel));
            start = d;
        }
        return 0;
    }

    /// <summary>Battery power at second <paramref name="t"/>, normalised to the cycle's peak traction power (−: regeneration).</summary>
    public static double NormalisedPower(double t)
    {
        _power ??= BuildPower();
        int k = (int)Math.Floor(t % CycleLength_s);
        return _power[Math.Clamp(k, 0, _power.Length - 1)];
    }

    private static double[] BuildPower()
    {
        const double mass = 1500, crr = 0.01, g = 9.81, rho = 1.2, cdA = 0.65, auxiliary_W = 600;
        int n = (int)CycleLength_s;
        var p = new double[n];
        double peak = 0;
        for (int k = 0; k < n; k++)
        {
            double v = Speed_mps(k + 0.5);
            double a = Speed_mps(k + 1) - Speed_mps(k);
            double wheel = mass * a * v + crr * mass * g * v + 0.5 * rho * cdA * v * v * v;
            p[k] = (wheel >= 0 ? wheel / 0.9 : wheel * 0.6) + auxiliary_W;
            peak = Math.Max(peak, p[k]);
        }
        for (int k = 0; k < n; k++) p[k] /= peak;
        return p;
    }
}
