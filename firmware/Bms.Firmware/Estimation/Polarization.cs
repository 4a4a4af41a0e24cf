namespace Bms.Firmware.Estimation
{
    /// <summary>
    /// Charge-transfer polarisation that saturates with current as the Butler–Volmer equation says (symmetric,
    /// α = 0.5): η = V_T·asinh(R1·I / V_T) with V_T = 2RT/F (51.4 mV at 25 °C). For small currents this is the
    /// linear R1·I of the equivalent circuit; at several C it grows only logarithmically, which is what cells do
    /// (an R1 measured at 1 A would otherwise overstate the polarisation at 4C three-fold).
    /// </summary>
    public static class Polarization
    {
        /// <summary>asinh(k/4) × 1e6 for k = 0..128 (computed with double asinh; checked by PolarizationTests).</summary>
        private static readonly int[] AsinhQuarter =
        {
            0, 247466, 481212, 693147, 881374, 1047593, 1194763, 1325898,
            1443635, 1550158, 1647231, 1736278, 1818446, 1894672, 1965720, 2032225,
            2094713, 2153628, 2209348, 2262192, 2312438, 2360325, 2406059, 2449824,
            2491780, 2532068, 2570815, 2608132, 2644121, 2678871, 2712465, 2744977,
            2776472, 2807013, 2836656, 2865450, 2893444, 2920680, 2947198, 2973034,
            2998223, 3022796, 3046782, 3070209, 3093102, 3115485, 3137379, 3158806,
            3179785, 3200335, 3220472, 3240213, 3259573, 3278566, 3297206, 3315506,
            3333478, 3351133, 3368483, 3385537, 3402307, 3418800, 3435026, 3450994,
            3466711, 3482185, 3497425, 3512435, 3527224, 3541798, 3556163, 3570325,
            3584290, 3598062, 3611648, 3625051, 3638278, 3651332, 3664218, 3676941,
            3689504, 3701911, 3714166, 3726274, 3738236, 3750057, 3761741, 3773289,
            3784706, 3795994, 3807156, 3818195, 3829114, 3839914, 3850600, 3861173,
            3871635, 3881989, 3892237, 3902381, 3912423, 3922365, 3932210, 3941959,
            3951613, 3961176, 3970648, 3980031, 3989327, 3998537, 4007664, 4016708,
            4025670, 4034554, 4043359, 4052087, 4060740, 4069319, 4077825, 4086259,
            4094622, 4102916, 4111143, 4119301, 4127394, 4135422, 4143387, 4151288,
            4159127,
        };

        /// <summary>2R/F in nV per kelvin (2 × 8.314462618 / 96485.33212 = 172.346 µV/K).</summary>
        private const long TwoROverF_nV_per_K = 172346;

        /// <summary>V_T = 2RT/F in µV at a temperature in 0.1 °C.</summary>
        public static long ThermalVoltage_uV(int temperature_dC)
        {
            long kelvin_dK = temperature_dC + 2732;
            if (kelvin_dK < 1000) kelvin_dK = 1000;
            return TwoROverF_nV_per_K * kelvin_dK / 10000;
        }

        /// <summary>
        /// V_T·asinh(<paramref name="linear_uV"/>/V_T) in µV, and its derivative with respect to the linear
        /// overpotential in parts per million (1e6 = slope 1 near zero current). Saturates beyond 32·V_T.
        /// </summary>
        public static long Saturate_uV(long linear_uV, long thermal_uV, out long slope_ppm)
        {
            bool negative = linear_uV < 0;
            long y = negative ? -linear_uV : linear_uV;
            // position in quarter units of V_T
            long scaled = y * 4;
            long index = scaled / thermal_uV;
            long value;
            if (index >= AsinhQuarter.Length - 1)
            {
                value = (AsinhQuarter[AsinhQuarter.Length - 1] * thermal_uV + 500000) / 1000000;
                slope_ppm = 0;
            }
            else
            {
                long remainder = scaled - index * thermal_uV; // 0..thermal
                long a = AsinhQuarter[index], b = AsinhQuarter[index + 1];
                long asinh_u = a + (b - a) * remainder / thermal_uV; // × 1e6
                // Both operands positive and small (asinh < 4.2e6, V_T < 2^17, y < 32·V_T here): 64-bit products,
                // rounded to nearest as FixedMath.MulDiv would.
                value = (asinh_u * thermal_uV + 500000) / 1000000;
                // d/dy [V_T·asinh(y/V_T)] = V_T / sqrt(V_T² + y²); max + min/2 is a root estimate from above.
                long larger = y > thermal_uV ? y : thermal_uV, smaller = y > thermal_uV ? thermal_uV : y;
                long root = FixedMath.SqrtFrom(thermal_uV * thermal_uV + y * y, larger + smaller / 2);
                slope_ppm = (1000000 * thermal_uV + root / 2) / root;
            }
            return negative ? -value : value;
        }
    }
}
