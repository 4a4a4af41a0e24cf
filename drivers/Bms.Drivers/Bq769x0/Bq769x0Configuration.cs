using Bms.Drivers.Common;

namespace Bms.Drivers.Bq769x0
{
    /// <summary>
    /// How a BQ769x0 is wired and what its hardware protections are set to. Fill it once at start-up; the
    /// driver copies what it needs in its constructor. The chip's own OV/UV/OCD/SCD protections are the last line
    /// of defence below the firmware's limits, so set them outside the firmware's fault thresholds.
    /// </summary>
    public sealed class Bq769x0Configuration
    {
        /// <summary>Family member (number of cell inputs).</summary>
        public Bq769x0Variant Variant = Bq769x0Variant.Bq76940;

        /// <summary>Series cells connected (3..5 per group of five inputs).</summary>
        public int CellCount = 15;

        /// <summary>
        /// Optional explicit connection: entry i is the input (0..14) of cell i+1, strictly increasing. null = the
        /// datasheet's recommended connection (<see cref="Bq769x0Conversions.DefaultCellInputs"/>).
        /// </summary>
        public int[] CellInputs;

        /// <summary>External thermistors on TS1..TSn (0..1 for the BQ76920, 0..2 for the BQ76930, 0..3 for the BQ76940).</summary>
        public int ThermistorCount = 3;

        /// <summary>true for the CRC-checked orderable variants (e.g. BQ7692003: 0x08, REGOUT 3.3 V, CRC); the suffix decides, see the datasheet's comparison table.</summary>
        public bool CrcEnabled = true;

        /// <summary>Coulomb-counter shunt in µΩ (e.g. 1000 for 1 mΩ).</summary>
        public int ShuntResistance_uOhm = 1000;

        /// <summary>Thermistor type on the TS pins (the datasheet's reference is 10 kΩ, B = 3435 K).</summary>
        public Ntc Thermistor;

        /// <summary>Internal pull-up from REGOUT to each TS pin.</summary>
        public int ThermistorPullUp_ohm = 10000;

        /// <summary>Voltage the internal TS pull-up is tied to; the datasheet's conversion R = 10 kΩ · V / (3.3 V − V) uses 3300.</summary>
        public int RegulatorVoltage_mV = 3300;

        /// <summary>Chip over-voltage trip (rounded down to the chip's step).</summary>
        public int CellOverVoltage_mV = 4300;

        /// <summary>Chip over-voltage delay, s (1, 2, 4 or 8; rounded down).</summary>
        public int OverVoltageDelay_s = 2;

        /// <summary>Chip under-voltage trip (rounded up to the chip's step).</summary>
        public int CellUnderVoltage_mV = 2500;

        /// <summary>Chip under-voltage delay, s (1, 4, 8 or 16; rounded down).</summary>
        public int UnderVoltageDelay_s = 4;

        /// <summary>Chip short-circuit-in-discharge trip in mA (rounded down to the chip's step).</summary>
        public int ShortCircuitDischarge_mA = 80000;

        /// <summary>Chip short-circuit delay, µs (70, 100, 200 or 400; rounded down).</summary>
        public int ShortCircuitDelay_us = 200;

        /// <summary>Chip over-current-in-discharge trip in mA (rounded down to the chip's step).</summary>
        public int OverCurrentDischarge_mA = 40000;

        /// <summary>Chip over-current delay, ms (8 .. 1280; rounded down).</summary>
        public int OverCurrentDischargeDelay_ms = 320;

        /// <summary>Extra attempts per bus transaction after a failure (NACK, timeout, CRC).</summary>
        public int Retries = 2;

        /// <summary>
        /// Oldest coulomb-counter conversion still reported as the present current. The chip converts every
        /// 250 ms; when no new conversion arrives for longer, the counter has stalled and current is invalid.
        /// </summary>
        public int CurrentMaxAge_ms = 600;

        /// <summary>Length of the wake-up pulse on TS1 (BOOT) when the chip is found in SHIP mode (check VBOOT timing in the datasheet).</summary>
        public int BootPulse_us = 2000;

        /// <summary>Time from the wake-up pulse until the chip answers on I2C.</summary>
        public int BootWait_ms = 10;

        /// <summary>Creates a configuration with the BQ769x0 reference thermistor (10 kΩ, B = 3435 K).</summary>
        public Bq769x0Configuration()
        {
            Thermistor = new Ntc(10000, 3435);
        }
    }
}
