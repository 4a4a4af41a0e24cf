namespace Bms.Drivers.Ltc681x
{
    /// <summary>
    /// Integer NTC conversion for the usual LTC681x thermistor input: 2nd reference (VREF2, 3 V) → 10 kΩ
    /// pull-up → GPIO → 10 kΩ NTC (B25/85 = 3435 K, e.g. Semitec 103AT-2) → V−. The GPIO voltage divided by
    /// VREF2 is the divider ratio R/(R + 10 kΩ), independent of reference drift. The table holds that ratio in
    /// ppm every 5 °C from −40 °C to +150 °C (from the Beta equation); values in between are interpolated.
    /// Interim: to be replaced by Bms.Drivers.Common.Ntc once that lands on main.
    /// </summary>
    internal static class Ltc681xThermistor
    {
        private const int FirstTemperature_dC = -400;
        private const int Step_dC = 50;

        /// <summary>Divider ratios below this mean a shorted thermistor (or GPIO), not heat.</summary>
        public const int ShortedBelow_ppm = 5000;

        /// <summary>Divider ratios above this mean an open thermistor, not cold.</summary>
        public const int OpenAbove_ppm = 995000;

        private static readonly int[] Ratio_ppm =
        {
            961282, 947977, 931249, 910633, 885744, 856334, 822349, 783969, 741631, 696018,
            648017, 598646, 548969, 500000, 452637, 407604, 365432, 326457, 290840, 258597,
            229635, 203780, 180813, 160487, 142546, 126740, 112831, 100597, 89836, 80369,
            72032, 64684, 58199, 52469, 47397, 42901, 38908, 35356, 32191,
        };

        /// <summary>
        /// Temperature for a divider ratio in ppm. false for an open or shorted sensor; ratios beyond the
        /// table but short of those limits are clamped to −40 °C / +150 °C (still a real, extreme reading).
        /// </summary>
        public static bool TryConvert(int ratio_ppm, out int temperature_dC)
        {
            temperature_dC = 0;
            if (ratio_ppm < ShortedBelow_ppm || ratio_ppm > OpenAbove_ppm)
            {
                return false;
            }
            if (ratio_ppm >= Ratio_ppm[0])
            {
                temperature_dC = FirstTemperature_dC;
                return true;
            }
            int last = Ratio_ppm.Length - 1;
            if (ratio_ppm <= Ratio_ppm[last])
            {
                temperature_dC = FirstTemperature_dC + last * Step_dC;
                return true;
            }
            int i = 0;
            while (Ratio_ppm[i + 1] > ratio_ppm)
            {
                i++;
            }
            int span = Ratio_ppm[i] - Ratio_ppm[i + 1];
            int into = Ratio_ppm[i] - ratio_ppm;
            // Rounded to the nearest 0.1 °C.
            temperature_dC = FirstTemperature_dC + i * Step_dC + (into * Step_dC + span / 2) / span;
            return true;
        }
    }
}
