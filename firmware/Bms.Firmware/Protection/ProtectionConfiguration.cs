using System;
using Bms.Firmware.Chemistry;

namespace Bms.Firmware.Protection
{
    /// <summary>
    /// Every protection threshold of a pack. Build it with <see cref="FromEnvelope"/> (derived from the chemistry's
    /// hard envelope, always valid) and adjust fields if needed; <see cref="Validate"/> refuses anything that would
    /// let a cell leave the envelope, any level out of order, or a delay long enough to defeat the protection.
    /// </summary>
    public sealed class ProtectionConfiguration
    {
        /// <summary>Longest set delay a fault level may have: a fault that waits longer does not protect.</summary>
        public const int MaxFaultSetDelay_ms = 10000;
        /// <summary>Longest set delay of a warning or an alarm.</summary>
        public const int MaxSetDelay_ms = 60000;
        /// <summary>Longest clear delay of any level.</summary>
        public const int MaxClearDelay_ms = 600000;
        /// <summary>Largest imbalance fault threshold (no chemistry tolerates more spread than this unnoticed).</summary>
        public const int MaxImbalanceFault_mV = 1000;
        /// <summary>Longest short-circuit reaction delay.</summary>
        public const int MaxShortCircuitDelay_ms = 100;
        /// <summary>Shortest and longest allowed measurement-loss timeout.</summary>
        public const int MinMeasurementTimeout_ms = 100;
        /// <summary>See <see cref="MinMeasurementTimeout_ms"/>.</summary>
        public const int MaxMeasurementTimeout_ms = 5000;

        private readonly QuantityThresholds[] _quantities = new QuantityThresholds[ProtectedQuantities.Count];

        /// <summary>Creates an empty configuration (every quantity must be set before use).</summary>
        public ProtectionConfiguration()
        {
        }

        /// <summary>Thresholds of one quantity.</summary>
        public QuantityThresholds GetQuantity(ProtectedQuantity quantity)
        {
            return _quantities[(int)quantity];
        }

        /// <summary>Replaces the thresholds of one quantity (validated by <see cref="Validate"/>).</summary>
        public void SetQuantity(ProtectedQuantity quantity, QuantityThresholds thresholds)
        {
            _quantities[(int)quantity] = thresholds;
        }

        /// <summary>Discharge current magnitude that opens the contactors on the next 10 ms sample.</summary>
        public int ShortCircuit_mA;
        /// <summary>How long the short-circuit current must persist (0 = first sample).</summary>
        public int ShortCircuitDelay_ms;
        /// <summary>A cell voltage, temperature or current that stays invalid this long raises AfeCommunication (fault).</summary>
        public int MeasurementTimeout_ms;
        /// <summary>Current above which the pack counts as charging (charge temperature limits apply).</summary>
        public int ChargeDetect_mA;

        /// <summary>A deep copy.</summary>
        public ProtectionConfiguration Clone()
        {
            var copy = new ProtectionConfiguration();
            for (int i = 0; i < ProtectedQuantities.Count; i++)
            {
                copy._quantities[i] = _quantities[i] == null ? null : _quantities[i].Clone();
            }
            copy.ShortCircuit_mA = ShortCircuit_mA;
            copy.ShortCircuitDelay_ms = ShortCircuitDelay_ms;
            copy.MeasurementTimeout_ms = MeasurementTimeout_ms;
            copy.ChargeDetect_mA = ChargeDetect_mA;
            return copy;
        }

        /// <summary>Maximum continuous current of an envelope rating (milli-C) for a capacity, in mA.</summary>
        public static int RatedCurrent_mA(int rating_mC, int capacity_mAh)
        {
            return (int)((long)rating_mC * capacity_mAh / 1000);
        }

        /// <summary>
        /// Derives thresholds from a chemistry's envelope: the fault level sits on the envelope value, alarm and
        /// warning inside it with margins scaled to the chemistry's voltage and temperature windows, so the result
        /// always passes <see cref="Validate"/>. Throws <see cref="ArgumentException"/> for an envelope that is
        /// itself inconsistent (minimum not below maximum, non-positive current ratings) or a capacity &lt;= 0.
        /// </summary>
        public static ProtectionConfiguration FromEnvelope(SafeOperatingEnvelope envelope, int capacity_mAh)
        {
            string problem = CheckEnvelope(envelope, capacity_mAh);
            if (problem != null)
            {
                throw new ArgumentException(problem);
            }

            var config = new ProtectionConfiguration();
            int span_mV = envelope.MaxCellVoltage_mV - envelope.MinCellVoltage_mV;

            // Cell voltage: fault on the envelope; margins shrink for chemistries with a narrow window (LTO).
            int ovAlarmMargin = Smaller(25, span_mV / 40);
            int ovWarningMargin = Smaller(50, span_mV / 20);
            int ovHysteresis = Smaller(50, span_mV / 20);
            int maxV = envelope.MaxCellVoltage_mV;
            config.SetQuantity(ProtectedQuantity.CellOverVoltage, new QuantityThresholds(true,
                new LevelThreshold(maxV - ovWarningMargin, 1000, maxV - ovWarningMargin - ovHysteresis, 2000),
                new LevelThreshold(maxV - ovAlarmMargin, 500, maxV - ovAlarmMargin - ovHysteresis, 2000),
                new LevelThreshold(maxV, 300, maxV - ovHysteresis, 5000)));

            int uvAlarmMargin = Smaller(100, span_mV / 10);
            int uvWarningMargin = Smaller(200, span_mV / 5);
            int uvHysteresis = Smaller(100, span_mV / 10);
            int minV = envelope.MinCellVoltage_mV;
            config.SetQuantity(ProtectedQuantity.CellUnderVoltage, new QuantityThresholds(false,
                new LevelThreshold(minV + uvWarningMargin, 1000, minV + uvWarningMargin + uvHysteresis, 2000),
                new LevelThreshold(minV + uvAlarmMargin, 500, minV + uvAlarmMargin + uvHysteresis, 2000),
                new LevelThreshold(minV, 300, minV + uvHysteresis, 5000)));

            // Currents: fault at the continuous rating, alarm at 95 %, warning at 90 %, hysteresis 5 %.
            config.SetQuantity(ProtectedQuantity.OverCurrentCharge,
                CurrentThresholds(RatedCurrent_mA(envelope.MaxChargeCurrent_mC, capacity_mAh)));
            int maxDischarge_mA = RatedCurrent_mA(envelope.MaxDischargeCurrent_mC, capacity_mAh);
            config.SetQuantity(ProtectedQuantity.OverCurrentDischarge, CurrentThresholds(maxDischarge_mA));

            config.SetQuantity(ProtectedQuantity.OverTemperatureCharge,
                UpperTemperature(envelope.MaxChargeTemperature_dC, envelope.MaxChargeTemperature_dC - envelope.MinChargeTemperature_dC));
            config.SetQuantity(ProtectedQuantity.OverTemperatureDischarge,
                UpperTemperature(envelope.MaxDischargeTemperature_dC, envelope.MaxDischargeTemperature_dC - envelope.MinDischargeTemperature_dC));
            config.SetQuantity(ProtectedQuantity.UnderTemperatureCharge,
                LowerTemperature(envelope.MinChargeTemperature_dC, envelope.MaxChargeTemperature_dC - envelope.MinChargeTemperature_dC));
            config.SetQuantity(ProtectedQuantity.UnderTemperatureDischarge,
                LowerTemperature(envelope.MinDischargeTemperature_dC, envelope.MaxDischargeTemperature_dC - envelope.MinDischargeTemperature_dC));

            // Imbalance has no envelope value: fixed spreads, capped to a fraction of the voltage window.
            int imbalanceFault = Smaller(500, span_mV / 3);
            int imbalanceAlarm = Smaller(300, imbalanceFault * 3 / 5);
            int imbalanceWarning = Smaller(150, imbalanceFault * 3 / 10);
            int imbalanceHysteresis = Smaller(20, imbalanceWarning / 4);
            config.SetQuantity(ProtectedQuantity.CellImbalance, new QuantityThresholds(true,
                new LevelThreshold(imbalanceWarning, 5000, imbalanceWarning - imbalanceHysteresis, 5000),
                new LevelThreshold(imbalanceAlarm, 5000, imbalanceAlarm - imbalanceHysteresis, 5000),
                new LevelThreshold(imbalanceFault, 5000, imbalanceFault - imbalanceHysteresis, 5000)));

            config.ShortCircuit_mA = maxDischarge_mA * 2;
            config.ShortCircuitDelay_ms = 0;
            config.MeasurementTimeout_ms = 1000;
            // C/50 (at least 50 mA), but never as high as half the charge warning of a tiny rating.
            config.ChargeDetect_mA = Smaller(Larger(50, capacity_mAh / 50), Larger(1, config.GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold / 2));
            return config;
        }

        private static QuantityThresholds CurrentThresholds(int rated_mA)
        {
            int hysteresis = rated_mA / 20;
            int alarm = (int)((long)rated_mA * 95 / 100);
            int warning = (int)((long)rated_mA * 90 / 100);
            return new QuantityThresholds(true,
                new LevelThreshold(warning, 2000, warning - hysteresis, 1000),
                new LevelThreshold(alarm, 1000, alarm - hysteresis, 1000),
                new LevelThreshold(rated_mA, 500, rated_mA - hysteresis, 2000));
        }

        private static QuantityThresholds UpperTemperature(int max_dC, int window_dC)
        {
            int alarmMargin = Smaller(20, window_dC / 10);
            int warningMargin = Smaller(50, window_dC / 5);
            int hysteresis = Smaller(50, window_dC / 5);
            return new QuantityThresholds(true,
                new LevelThreshold(max_dC - warningMargin, 2000, max_dC - warningMargin - hysteresis, 5000),
                new LevelThreshold(max_dC - alarmMargin, 1000, max_dC - alarmMargin - hysteresis, 5000),
                new LevelThreshold(max_dC, 1000, max_dC - hysteresis, 10000));
        }

        private static QuantityThresholds LowerTemperature(int min_dC, int window_dC)
        {
            int alarmMargin = Smaller(20, window_dC / 10);
            int warningMargin = Smaller(50, window_dC / 5);
            int hysteresis = Smaller(50, window_dC / 5);
            return new QuantityThresholds(false,
                new LevelThreshold(min_dC + warningMargin, 2000, min_dC + warningMargin + hysteresis, 5000),
                new LevelThreshold(min_dC + alarmMargin, 1000, min_dC + alarmMargin + hysteresis, 5000),
                new LevelThreshold(min_dC, 1000, min_dC + hysteresis, 10000));
        }

        /// <summary>Null when the envelope can derive thresholds, otherwise the reason.</summary>
        public static string CheckEnvelope(SafeOperatingEnvelope envelope, int capacity_mAh)
        {
            if (envelope == null)
            {
                return "no safe operating envelope";
            }
            if (capacity_mAh <= 0)
            {
                return "capacity_mAh must be positive, was " + capacity_mAh.ToString();
            }
            if (envelope.MinCellVoltage_mV <= 0 || envelope.MaxCellVoltage_mV <= envelope.MinCellVoltage_mV)
            {
                return "envelope cell voltage window invalid: " + envelope.MinCellVoltage_mV.ToString() + ".." + envelope.MaxCellVoltage_mV.ToString() + " mV";
            }
            if (envelope.MaxChargeTemperature_dC <= envelope.MinChargeTemperature_dC)
            {
                return "envelope charge temperature window invalid";
            }
            if (envelope.MaxDischargeTemperature_dC <= envelope.MinDischargeTemperature_dC)
            {
                return "envelope discharge temperature window invalid";
            }
            if (envelope.MaxChargeCurrent_mC <= 0 || envelope.MaxDischargeCurrent_mC <= 0)
            {
                return "envelope current ratings must be positive";
            }
            if (RatedCurrent_mA(envelope.MaxChargeCurrent_mC, capacity_mAh) < 20 || RatedCurrent_mA(envelope.MaxDischargeCurrent_mC, capacity_mAh) < 20)
            {
                return "rated currents below 20 mA cannot be protected meaningfully";
            }
            return null;
        }

        /// <summary>
        /// Null when this configuration keeps every cell inside <paramref name="envelope"/>, otherwise the first
        /// problem found, naming the quantity, level and field.
        /// </summary>
        public string Validate(SafeOperatingEnvelope envelope, int capacity_mAh)
        {
            string problem = CheckEnvelope(envelope, capacity_mAh);
            if (problem != null)
            {
                return problem;
            }
            problem = CheckQuantity(ProtectedQuantity.CellOverVoltage, "CellOverVoltage", true, envelope.MaxCellVoltage_mV, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.CellUnderVoltage, "CellUnderVoltage", false, envelope.MinCellVoltage_mV, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.OverCurrentCharge, "OverCurrentCharge", true, RatedCurrent_mA(envelope.MaxChargeCurrent_mC, capacity_mAh), true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.OverCurrentDischarge, "OverCurrentDischarge", true, RatedCurrent_mA(envelope.MaxDischargeCurrent_mC, capacity_mAh), true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.OverTemperatureCharge, "OverTemperatureCharge", true, envelope.MaxChargeTemperature_dC, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.OverTemperatureDischarge, "OverTemperatureDischarge", true, envelope.MaxDischargeTemperature_dC, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.UnderTemperatureCharge, "UnderTemperatureCharge", false, envelope.MinChargeTemperature_dC, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.UnderTemperatureDischarge, "UnderTemperatureDischarge", false, envelope.MinDischargeTemperature_dC, true);
            if (problem == null) problem = CheckQuantity(ProtectedQuantity.CellImbalance, "CellImbalance", true, MaxImbalanceFault_mV, true);
            if (problem != null)
            {
                return problem;
            }
            QuantityThresholds imbalance = GetQuantity(ProtectedQuantity.CellImbalance);
            if (imbalance.Warning.ClearThreshold < 0)
            {
                return "CellImbalance.Warning.ClearThreshold must not be negative";
            }
            int maxDischarge_mA = RatedCurrent_mA(envelope.MaxDischargeCurrent_mC, capacity_mAh);
            if (ShortCircuit_mA <= GetQuantity(ProtectedQuantity.OverCurrentDischarge).Fault.Threshold || ShortCircuit_mA > maxDischarge_mA * 4L)
            {
                return "ShortCircuit_mA must lie above the discharge over-current fault and at most 4x the rated discharge current, was " + ShortCircuit_mA.ToString();
            }
            if (ShortCircuitDelay_ms < 0 || ShortCircuitDelay_ms > MaxShortCircuitDelay_ms)
            {
                return "ShortCircuitDelay_ms must be 0.." + MaxShortCircuitDelay_ms.ToString() + ", was " + ShortCircuitDelay_ms.ToString();
            }
            if (MeasurementTimeout_ms < MinMeasurementTimeout_ms || MeasurementTimeout_ms > MaxMeasurementTimeout_ms)
            {
                return "MeasurementTimeout_ms must be " + MinMeasurementTimeout_ms.ToString() + ".." + MaxMeasurementTimeout_ms.ToString() + ", was " + MeasurementTimeout_ms.ToString();
            }
            if (ChargeDetect_mA <= 0 || ChargeDetect_mA >= GetQuantity(ProtectedQuantity.OverCurrentCharge).Warning.Threshold)
            {
                return "ChargeDetect_mA must be positive and below the charge over-current warning, was " + ChargeDetect_mA.ToString();
            }
            return null;
        }

        /// <summary>Throws <see cref="ArgumentException"/> with the reason when <see cref="Validate"/> finds a problem.</summary>
        public void EnsureValid(SafeOperatingEnvelope envelope, int capacity_mAh)
        {
            string problem = Validate(envelope, capacity_mAh);
            if (problem != null)
            {
                throw new ArgumentException("protection configuration refused: " + problem);
            }
        }

        private string CheckQuantity(ProtectedQuantity quantity, string name, bool upperLimit, int envelopeLimit, bool checkEnvelope)
        {
            QuantityThresholds q = GetQuantity(quantity);
            if (q == null || q.Warning == null || q.Alarm == null || q.Fault == null)
            {
                return name + ": every level (Warning, Alarm, Fault) must be configured";
            }
            if (q.UpperLimit != upperLimit)
            {
                return name + ": must be " + (upperLimit ? "an upper" : "a lower") + " limit";
            }
            for (int level = 0; level < 3; level++)
            {
                LevelThreshold t = q.GetLevel(level);
                string levelName = name + "." + LevelName(level);
                if (checkEnvelope && (upperLimit ? t.Threshold > envelopeLimit : t.Threshold < envelopeLimit))
                {
                    return levelName + ".Threshold " + t.Threshold.ToString() + " lies outside the envelope limit " + envelopeLimit.ToString();
                }
                if (upperLimit ? t.ClearThreshold > t.Threshold : t.ClearThreshold < t.Threshold)
                {
                    return levelName + ".ClearThreshold " + t.ClearThreshold.ToString() + " must lie on the safe side of the threshold " + t.Threshold.ToString();
                }
                int maxSet = level == 2 ? MaxFaultSetDelay_ms : MaxSetDelay_ms;
                if (t.SetDelay_ms < 0 || t.SetDelay_ms > maxSet)
                {
                    return levelName + ".SetDelay_ms must be 0.." + maxSet.ToString() + ", was " + t.SetDelay_ms.ToString();
                }
                if (t.ClearDelay_ms < 0 || t.ClearDelay_ms > MaxClearDelay_ms)
                {
                    return levelName + ".ClearDelay_ms must be 0.." + MaxClearDelay_ms.ToString() + ", was " + t.ClearDelay_ms.ToString();
                }
            }
            // Severity order: the warning comes first, the fault last, as the value moves away from safe.
            bool ordered = upperLimit
                ? q.Warning.Threshold <= q.Alarm.Threshold && q.Alarm.Threshold <= q.Fault.Threshold
                : q.Warning.Threshold >= q.Alarm.Threshold && q.Alarm.Threshold >= q.Fault.Threshold;
            if (!ordered)
            {
                return name + ": thresholds must be ordered warning, alarm, fault (was " + q.Warning.Threshold.ToString() + ", " + q.Alarm.Threshold.ToString() + ", " + q.Fault.Threshold.ToString() + ")";
            }
            bool temperature = quantity >= ProtectedQuantity.OverTemperatureCharge && quantity <= ProtectedQuantity.UnderTemperatureDischarge;
            if (!temperature && (q.Warning.Threshold <= 0 || q.Alarm.Threshold <= 0 || q.Fault.Threshold <= 0))
            {
                return name + ": thresholds must be positive";
            }
            return null;
        }

        private static string LevelName(int level)
        {
            if (level == 0)
            {
                return "Warning";
            }
            return level == 1 ? "Alarm" : "Fault";
        }

        private static int Smaller(int a, int b)
        {
            return a < b ? a : b;
        }

        private static int Larger(int a, int b)
        {
            return a > b ? a : b;
        }
    }
}
