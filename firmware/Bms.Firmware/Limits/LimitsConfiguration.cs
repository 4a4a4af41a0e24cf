using System;
using Bms.Firmware.Protection;

namespace Bms.Firmware.Limits
{
    /// <summary>
    /// Derating tables of the current limits (in the manner of foxBMS's state-of-function tables): each limit is
    /// its base value times the smallest of a temperature, a state-of-charge and a cell-voltage-headroom factor.
    /// Every table reaches zero at or before the matching protection warning, so a load or charger that follows
    /// the limits tapers off before any protection level is reached. <see cref="FromProtection"/> derives it;
    /// <see cref="Validate"/> refuses tables that would allow current beyond a warning threshold.
    /// </summary>
    public sealed class LimitsConfiguration
    {
        /// <summary>Charge limit with every factor at 100 %.</summary>
        public int MaxCharge_mA;
        /// <summary>Discharge limit (magnitude) with every factor at 100 %.</summary>
        public int MaxDischarge_mA;

        /// <summary>Charge temperature trapezoid: zero at or below this.</summary>
        public int ChargeTemperatureZeroLow_dC;
        /// <summary>Full charge current from this temperature ...</summary>
        public int ChargeTemperatureFullLow_dC;
        /// <summary>... up to this temperature.</summary>
        public int ChargeTemperatureFullHigh_dC;
        /// <summary>Zero at or above this.</summary>
        public int ChargeTemperatureZeroHigh_dC;

        /// <summary>Discharge temperature trapezoid, as for charge.</summary>
        public int DischargeTemperatureZeroLow_dC;
        /// <summary>See <see cref="DischargeTemperatureZeroLow_dC"/>.</summary>
        public int DischargeTemperatureFullLow_dC;
        /// <summary>See <see cref="DischargeTemperatureZeroLow_dC"/>.</summary>
        public int DischargeTemperatureFullHigh_dC;
        /// <summary>See <see cref="DischargeTemperatureZeroLow_dC"/>.</summary>
        public int DischargeTemperatureZeroHigh_dC;

        /// <summary>State of charge above which the charge limit falls linearly ...</summary>
        public int ChargeSocTaperStart_pcm;
        /// <summary>... to this share (per mille) at 100 %.</summary>
        public int ChargeSocEndFactor_permille;
        /// <summary>State of charge below which the discharge limit falls linearly ...</summary>
        public int DischargeSocTaperStart_pcm;
        /// <summary>... to this share (per mille) at 0 %.</summary>
        public int DischargeSocEndFactor_permille;

        /// <summary>Highest cell voltage at which the charge limit starts to fall ...</summary>
        public int ChargeVoltageTaperStart_mV;
        /// <summary>... reaching zero here (below the over-voltage warning).</summary>
        public int ChargeVoltageZero_mV;
        /// <summary>Lowest cell voltage at which the discharge limit starts to fall ...</summary>
        public int DischargeVoltageTaperStart_mV;
        /// <summary>... reaching zero here (above the under-voltage warning).</summary>
        public int DischargeVoltageZero_mV;

        /// <summary>Share of the limit left while a warning of that direction is active (per mille).</summary>
        public int WarningFactor_permille;

        /// <summary>Derives the tables from validated protection thresholds.</summary>
        public static LimitsConfiguration FromProtection(ProtectionConfiguration protection)
        {
            if (protection == null)
            {
                throw new ArgumentNullException("protection");
            }
            var c = new LimitsConfiguration();
            c.MaxCharge_mA = (int)((long)protection.GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold * 95 / 100);
            c.MaxDischarge_mA = (int)((long)protection.GetQuantity(ProtectedQuantity.OverCurrentDischarge).Warning.Threshold * 95 / 100);

            Trapezoid(protection.GetQuantity(ProtectedQuantity.UnderTemperatureCharge).Warning.Threshold,
                protection.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Warning.Threshold, 50,
                out c.ChargeTemperatureZeroLow_dC, out c.ChargeTemperatureFullLow_dC, out c.ChargeTemperatureFullHigh_dC, out c.ChargeTemperatureZeroHigh_dC);
            Trapezoid(protection.GetQuantity(ProtectedQuantity.UnderTemperatureDischarge).Warning.Threshold,
                protection.GetQuantity(ProtectedQuantity.OverTemperatureDischarge).Warning.Threshold, 50,
                out c.DischargeTemperatureZeroLow_dC, out c.DischargeTemperatureFullLow_dC, out c.DischargeTemperatureFullHigh_dC, out c.DischargeTemperatureZeroHigh_dC);

            c.ChargeSocTaperStart_pcm = 85000;
            // Full means stop: the charge limit reaches zero at 100 % SoC whatever the voltage headroom still allows.
            c.ChargeSocEndFactor_permille = 0;
            c.DischargeSocTaperStart_pcm = 15000;
            c.DischargeSocEndFactor_permille = 100;

            int ovWarning = protection.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold;
            int uvWarning = protection.GetQuantity(ProtectedQuantity.CellUnderVoltage).Warning.Threshold;
            int window = ovWarning - uvWarning;
            int margin = Smaller(20, window / 50);
            int chargeRamp = Smaller(150, window / 6);
            int dischargeRamp = Smaller(200, window / 5);
            c.ChargeVoltageZero_mV = ovWarning - margin;
            c.ChargeVoltageTaperStart_mV = c.ChargeVoltageZero_mV - chargeRamp;
            c.DischargeVoltageZero_mV = uvWarning + margin;
            c.DischargeVoltageTaperStart_mV = c.DischargeVoltageZero_mV + dischargeRamp;

            c.WarningFactor_permille = 500;
            return c;
        }

        private static void Trapezoid(int lowWarning, int highWarning, int ramp, out int zeroLow, out int fullLow, out int fullHigh, out int zeroHigh)
        {
            zeroLow = lowWarning;
            zeroHigh = highWarning;
            int half = (highWarning - lowWarning) / 2;
            int r = Smaller(ramp, half);
            fullLow = lowWarning + r;
            fullHigh = highWarning - r;
        }

        /// <summary>Null when the tables keep every limit inside the protection warnings, otherwise the reason.</summary>
        public string Validate(ProtectionConfiguration protection)
        {
            if (protection == null)
            {
                return "no protection configuration";
            }
            if (MaxCharge_mA < 0 || MaxCharge_mA > protection.GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold)
            {
                return "MaxCharge_mA must be 0..charge over-current warning";
            }
            if (MaxDischarge_mA < 0 || MaxDischarge_mA > protection.GetQuantity(ProtectedQuantity.OverCurrentDischarge).Warning.Threshold)
            {
                return "MaxDischarge_mA must be 0..discharge over-current warning";
            }
            string problem = CheckTrapezoid("ChargeTemperature", ChargeTemperatureZeroLow_dC, ChargeTemperatureFullLow_dC, ChargeTemperatureFullHigh_dC, ChargeTemperatureZeroHigh_dC,
                protection.GetQuantity(ProtectedQuantity.UnderTemperatureCharge).Warning.Threshold, protection.GetQuantity(ProtectedQuantity.OverTemperatureCharge).Warning.Threshold);
            if (problem == null)
            {
                problem = CheckTrapezoid("DischargeTemperature", DischargeTemperatureZeroLow_dC, DischargeTemperatureFullLow_dC, DischargeTemperatureFullHigh_dC, DischargeTemperatureZeroHigh_dC,
                    protection.GetQuantity(ProtectedQuantity.UnderTemperatureDischarge).Warning.Threshold, protection.GetQuantity(ProtectedQuantity.OverTemperatureDischarge).Warning.Threshold);
            }
            if (problem != null)
            {
                return problem;
            }
            if (ChargeSocTaperStart_pcm < 0 || ChargeSocTaperStart_pcm > 100000 || DischargeSocTaperStart_pcm < 0 || DischargeSocTaperStart_pcm > 100000)
            {
                return "SoC taper starts must be 0..100000 pcm";
            }
            if (ChargeSocEndFactor_permille < 0 || ChargeSocEndFactor_permille > 1000 || DischargeSocEndFactor_permille < 0 || DischargeSocEndFactor_permille > 1000)
            {
                return "SoC end factors must be 0..1000 per mille";
            }
            if (ChargeVoltageZero_mV > protection.GetQuantity(ProtectedQuantity.CellOverVoltage).Warning.Threshold || ChargeVoltageTaperStart_mV > ChargeVoltageZero_mV)
            {
                return "charge voltage taper must end at or below the over-voltage warning and start below its end";
            }
            if (DischargeVoltageZero_mV < protection.GetQuantity(ProtectedQuantity.CellUnderVoltage).Warning.Threshold || DischargeVoltageTaperStart_mV < DischargeVoltageZero_mV)
            {
                return "discharge voltage taper must end at or above the under-voltage warning and start above its end";
            }
            if (WarningFactor_permille < 0 || WarningFactor_permille > 1000)
            {
                return "WarningFactor_permille must be 0..1000";
            }
            return null;
        }

        private static string CheckTrapezoid(string name, int zeroLow, int fullLow, int fullHigh, int zeroHigh, int lowWarning, int highWarning)
        {
            if (!(zeroLow <= fullLow && fullLow <= fullHigh && fullHigh <= zeroHigh))
            {
                return name + ": points must be ordered zero-low <= full-low <= full-high <= zero-high";
            }
            if (zeroLow < lowWarning || zeroHigh > highWarning)
            {
                return name + ": zero points must lie at or inside the temperature warnings " + lowWarning.ToString() + ".." + highWarning.ToString();
            }
            return null;
        }

        private static int Smaller(int a, int b)
        {
            return a < b ? a : b;
        }
    }
}
