namespace Bms.Simulation.Model;

/// <summary>
/// SplitMix64: a small, fully specified generator, so that a seed gives the same numbers on every .NET version
/// and platform (System.Random's seeded sequence is an implementation detail).
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _state;
    private double? _spareGaussian;

    public DeterministicRandom(long seed) => _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);

    public ulong NextUInt64()
    {
        ulong z = unchecked(_state += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller, both values used).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare)
        {
            _spareGaussian = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Normal with the given sigma, clipped to ±<paramref name="clip"/> sigmas (no absurd outliers).</summary>
    public double Gaussian(double sigma, double clip = 3.0)
    {
        double g = NextGaussian();
        if (g > clip) g = clip;
        if (g < -clip) g = -clip;
        return g * sigma;
    }
}
