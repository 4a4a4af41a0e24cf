using System;
using Bms.Firmware.Events;
using Bms.Firmware.Measurement;

namespace Bms.Firmware.Limits
{
    /// <summary>
    /// Computes the charge and discharge current limits every 100 ms from the snapshot, the state of charge and
    /// the protection levels of each direction. Limit = base × min(temperature, SoC, voltage-headroom factor),
    /// halved (configurable) by a warning of that direction, zero for an alarm or fault, zero when the
    /// contactors are not closed or the inputs are not valid. Integer per-mille arithmetic only.
    /// </summary>
    public sealed class CurrentLimiter
    {
        private const int Full = 1000;
        private readonly LimitsConfiguration _config;
        // Fields behind the read-only properties: the 100 ms update sets them without setter calls.
        private int _chargeLimit_mA;
        private int _dischargeLimit_mA;
        private int _chargeTemperatureFactor_permille;
        private int _chargeSocFactor_permille;
        private int _chargeVoltageFactor_permille;
        private int _dischargeTemperatureFactor_permille;
        private int _dischargeSocFactor_permille;
        private int _dischargeVoltageFactor_permille;

        /// <summary>Creates a limiter on a validated configuration.</summary>
        public CurrentLimiter(LimitsConfiguration config)
        {
            if (config == null)
            {
                throw new ArgumentNullException("config");
            }
            _config = config;
        }

        /// <summary>Allowed charge current (mA, ≥ 0).</summary>
        public int ChargeLimit_mA { get { return _chargeLimit_mA; } }
        /// <summary>Allowed discharge current magnitude (mA, ≥ 0).</summary>
        public int DischargeLimit_mA { get { return _dischargeLimit_mA; } }

        /// <summary>Last temperature factor of the charge limit, per mille (diagnostics).</summary>
        public int ChargeTemperatureFactor_permille { get { return _chargeTemperatureFactor_permille; } }
        /// <summary>Last SoC factor of the charge limit, per mille.</summary>
        public int ChargeSocFactor_permille { get { return _chargeSocFactor_permille; } }
        /// <summary>Last voltage-headroom factor of the charge limit, per mille.</summary>
        public int ChargeVoltageFactor_permille { get { return _chargeVoltageFactor_permille; } }
        /// <summary>Last temperature factor of the discharge limit, per mille.</summary>
        public int DischargeTemperatureFactor_permille { get { return _dischargeTemperatureFactor_permille; } }
        /// <summary>Last SoC factor of the discharge limit, per mille.</summary>
        public int DischargeSocFactor_permille { get { return _dischargeSocFactor_permille; } }
        /// <summary>Last voltage-headroom factor of the discharge limit, per mille.</summary>
        public int DischargeVoltageFactor_permille { get { return _dischargeVoltageFactor_permille; } }

        /// <summary>
        /// Recomputes both limits. <paramref name="packSoc_pcm"/> &lt; 0 means unknown (no SoC derating).
        /// <paramref name="chargeLevel"/>/<paramref name="dischargeLevel"/> are the highest protection levels
        /// concerning that direction.
        /// </summary>
        public void Update(MeasurementSnapshot snapshot, int packSoc_pcm, ProtectionLevel chargeLevel, ProtectionLevel dischargeLevel, bool contactorsClosed)
        {
            int maxCell = int.MinValue;
            int minCell = int.MaxValue;
            for (int i = 0; i < snapshot.CellCount; i++)
            {
                if (snapshot.CellValid[i])
                {
                    int v = snapshot.CellVoltage_mV[i];
                    if (v > maxCell) maxCell = v;
                    if (v < minCell) minCell = v;
                }
            }
            int maxT = int.MinValue;
            int minT = int.MaxValue;
            for (int i = 0; i < snapshot.TemperatureCount; i++)
            {
                if (snapshot.TemperatureValid[i])
                {
                    int t = snapshot.Temperature_dC[i];
                    if (t > maxT) maxT = t;
                    if (t < minT) minT = t;
                }
            }
            Update(maxCell, minCell, maxT, minT, snapshot.TemperatureCount, packSoc_pcm, chargeLevel, dischargeLevel, contactorsClosed);
        }

        /// <summary>
        /// Recomputes both limits from the extremes of the valid values (int.MinValue / int.MaxValue when none was
        /// valid), as the protection found them in the same snapshot: the same result as the snapshot overload
        /// without a second pass over every cell.
        /// </summary>
        public void Update(int maxCell, int minCell, int maxT, int minT, int temperatureCount, int packSoc_pcm,
            ProtectionLevel chargeLevel, ProtectionLevel dischargeLevel, bool contactorsClosed)
        {
            bool cellsKnown = maxCell != int.MinValue;
            bool temperaturesKnown = maxT != int.MinValue || temperatureCount == 0;

            LimitsConfiguration c = _config;
            // Both ends of the temperature range matter: the coldest cell limits charging as much as the hottest.
            int chargeT = temperaturesKnown && temperatureCount > 0
                ? Smaller(TrapezoidFactor(minT, c.ChargeTemperatureZeroLow_dC, c.ChargeTemperatureFullLow_dC, c.ChargeTemperatureFullHigh_dC, c.ChargeTemperatureZeroHigh_dC),
                          TrapezoidFactor(maxT, c.ChargeTemperatureZeroLow_dC, c.ChargeTemperatureFullLow_dC, c.ChargeTemperatureFullHigh_dC, c.ChargeTemperatureZeroHigh_dC))
                : (temperaturesKnown ? Full : 0);
            int dischargeT = temperaturesKnown && temperatureCount > 0
                ? Smaller(TrapezoidFactor(minT, c.DischargeTemperatureZeroLow_dC, c.DischargeTemperatureFullLow_dC, c.DischargeTemperatureFullHigh_dC, c.DischargeTemperatureZeroHigh_dC),
                          TrapezoidFactor(maxT, c.DischargeTemperatureZeroLow_dC, c.DischargeTemperatureFullLow_dC, c.DischargeTemperatureFullHigh_dC, c.DischargeTemperatureZeroHigh_dC))
                : (temperaturesKnown ? Full : 0);

            int chargeSoc = Full;
            int dischargeSoc = Full;
            if (packSoc_pcm >= 0)
            {
                chargeSoc = FallingAbove(packSoc_pcm, c.ChargeSocTaperStart_pcm, 100000, c.ChargeSocEndFactor_permille);
                dischargeSoc = FallingBelow(packSoc_pcm, c.DischargeSocTaperStart_pcm, 0, c.DischargeSocEndFactor_permille);
            }

            int chargeV = cellsKnown ? FallingAbove(maxCell, c.ChargeVoltageTaperStart_mV, c.ChargeVoltageZero_mV, 0) : 0;
            int dischargeV = cellsKnown ? FallingBelow(minCell, c.DischargeVoltageTaperStart_mV, c.DischargeVoltageZero_mV, 0) : 0;

            _chargeTemperatureFactor_permille = chargeT;
            _chargeSocFactor_permille = chargeSoc;
            _chargeVoltageFactor_permille = chargeV;
            _dischargeTemperatureFactor_permille = dischargeT;
            _dischargeSocFactor_permille = dischargeSoc;
            _dischargeVoltageFactor_permille = dischargeV;

            // Inline minimum: a call each would cost more than the comparison.
            int chargeFactor = chargeT < chargeSoc ? chargeT : chargeSoc;
            chargeFactor = chargeV < chargeFactor ? chargeV : chargeFactor;
            int dischargeFactor = dischargeT < dischargeSoc ? dischargeT : dischargeSoc;
            dischargeFactor = dischargeV < dischargeFactor ? dischargeV : dischargeFactor;
            chargeFactor = ApplyLevel(chargeFactor, chargeLevel);
            dischargeFactor = ApplyLevel(dischargeFactor, dischargeLevel);
            if (!contactorsClosed)
            {
                chargeFactor = 0;
                dischargeFactor = 0;
            }
            _chargeLimit_mA = (int)((long)c.MaxCharge_mA * chargeFactor / Full);
            _dischargeLimit_mA = (int)((long)c.MaxDischarge_mA * dischargeFactor / Full);
        }

        private int ApplyLevel(int factor, ProtectionLevel level)
        {
            if (level >= ProtectionLevel.Alarm)
            {
                return 0;
            }
            if (level == ProtectionLevel.Warning)
            {
                return (int)((long)factor * _config.WarningFactor_permille / Full);
            }
            return factor;
        }

        /// <summary>Trapezoid: 0 outside zeroLow..zeroHigh, 1000 inside fullLow..fullHigh, linear between.</summary>
        public static int TrapezoidFactor(int x, int zeroLow, int fullLow, int fullHigh, int zeroHigh)
        {
            if (x <= zeroLow || x >= zeroHigh)
            {
                return 0;
            }
            if (x < fullLow)
            {
                return (int)((long)(x - zeroLow) * Full / (fullLow - zeroLow));
            }
            if (x > fullHigh)
            {
                return (int)((long)(zeroHigh - x) * Full / (zeroHigh - fullHigh));
            }
            return Full;
        }

        /// <summary>1000 up to <paramref name="start"/>, linear to <paramref name="endFactor"/> at <paramref name="end"/> (end &gt; start), then endFactor.</summary>
        public static int FallingAbove(int x, int start, int end, int endFactor)
        {
            if (x <= start)
            {
                return Full;
            }
            if (x >= end || end <= start)
            {
                return endFactor;
            }
            return Full - (int)((long)(x - start) * (Full - endFactor) / (end - start));
        }

        /// <summary>1000 down to <paramref name="start"/>, linear to <paramref name="endFactor"/> at <paramref name="end"/> (end &lt; start), then endFactor.</summary>
        public static int FallingBelow(int x, int start, int end, int endFactor)
        {
            if (x >= start)
            {
                return Full;
            }
            if (x <= end || end >= start)
            {
                return endFactor;
            }
            return Full - (int)((long)(start - x) * (Full - endFactor) / (start - end));
        }

        private static int Smaller(int a, int b)
        {
            return a < b ? a : b;
        }
    }
}
