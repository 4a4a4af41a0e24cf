using System;

namespace Bms.Drivers.Bq76952
{
    /// <summary>
    /// What the <see cref="Bq76952"/> driver programs into the chip and how it talks to it. Create it with the
    /// number of series cells, adjust the fields, then hand it to the driver (which validates it once).
    /// </summary>
    public sealed class Bq76952Configuration
    {
        /// <summary>
        /// Defaults for <paramref name="cellCount"/> series cells (3..16), wired as TI recommends for fewer than
        /// 16 cells: the bottom cells on VC1.. and the top cell on VC16, unused inputs shorted.
        /// </summary>
        public Bq76952Configuration(int cellCount)
        {
            if (cellCount < 3 || cellCount > 16)
            {
                throw new ArgumentOutOfRangeException("cellCount", "BQ76952 monitors 3 to 16 cells");
            }
            CellInputMask = DefaultCellInputMask(cellCount);
        }

        /// <summary>Cell inputs in use: bit n = VC(n+1) pair measured (cell input n + 1). 3..16 bits set.</summary>
        public int CellInputMask;

        /// <summary>The chip variant/OTP has I2C CRC enabled (Comm Type); the driver must frame with CRC-8.</summary>
        public bool CrcMode;

        /// <summary>TS1 carries a cell thermistor (18k NTC model).</summary>
        public bool Ts1Thermistor = true;
        /// <summary>TS2 carries a cell thermistor.</summary>
        public bool Ts2Thermistor;
        /// <summary>TS3 carries a cell thermistor.</summary>
        public bool Ts3Thermistor = true;

        /// <summary>Current sense resistor in micro-ohm (sets the CC Gain calibration and the current thresholds).</summary>
        public int SenseResistor_uOhm = 1000;

        /// <summary>Current register LSB: 1 mA (range ±32.7 A) or 10 mA (range ±327 A).</summary>
        public int CurrentLsb_mA = 1;

        /// <summary>Program and enable the chip's own protections (COV, CUV, OCC, OCD1, SCD, and with thermistors OTC/OTD/UTC/UTD/OTINT).</summary>
        public bool EnableChipProtections = true;

        /// <summary>Chip cell over-voltage threshold (programmed in 50.6 mV steps, rounded down, 1012..5566 mV).</summary>
        public int CellOverVoltage_mV = 4250;
        /// <summary>Chip cell over-voltage delay.</summary>
        public int CellOverVoltageDelay_ms = 1000;
        /// <summary>Chip cell under-voltage threshold (programmed in 50.6 mV steps, rounded up, 50..4554 mV).</summary>
        public int CellUnderVoltage_mV = 2500;
        /// <summary>Chip cell under-voltage delay.</summary>
        public int CellUnderVoltageDelay_ms = 1000;
        /// <summary>Chip over-current in charge threshold (2 mV steps across the sense resistor).</summary>
        public int OverCurrentCharge_mA = 10000;
        /// <summary>Chip over-current in discharge (OCD1) threshold (2 mV steps across the sense resistor).</summary>
        public int OverCurrentDischarge_mA = 30000;
        /// <summary>Chip short-circuit threshold in mV across the sense resistor (10..500; the next lower supported step is used).</summary>
        public int ShortCircuitSense_mV = 100;
        /// <summary>Chip over-temperature in charge threshold (whole °C used).</summary>
        public int OverTemperatureCharge_dC = 550;
        /// <summary>Chip over-temperature in discharge threshold (whole °C used).</summary>
        public int OverTemperatureDischarge_dC = 600;
        /// <summary>Chip under-temperature in charge threshold (whole °C used).</summary>
        public int UnderTemperatureCharge_dC = 0;
        /// <summary>Chip under-temperature in discharge threshold (whole °C used).</summary>
        public int UnderTemperatureDischarge_dC = -200;

        /// <summary>Most cells the driver lets balance at once (also programmed as Cell Balance Max Cells).</summary>
        public int MaxBalancingCells = 4;

        /// <summary>Attempts per bus transaction (1 = no retry).</summary>
        public int MaxAttempts = 3;
        /// <summary>Polls of the subcommand echo before a subcommand is given up.</summary>
        public int SubcommandPollLimit = 10;
        /// <summary>Wait before each echo poll (the chip needs a few hundred µs for most subcommands).</summary>
        public int SubcommandPollInterval_us = 500;
        /// <summary>
        /// ReadCurrent also reads Battery Status (one more 2-byte read) so a chip reset cannot yield a wrongly scaled
        /// current (CC Gain and units back at defaults) before the next full scan.
        /// </summary>
        public bool CheckResetOnCurrentRead = true;
        /// <summary>Consecutive scans without a completed chip measurement scan before readings are treated as frozen.</summary>
        public int StaleScanLimit = 2;

        /// <summary>Number of bits set in <see cref="CellInputMask"/>.</summary>
        public int CellCount
        {
            get
            {
                int count = 0;
                for (int i = 0; i < 16; i++)
                {
                    if ((CellInputMask & (1 << i)) != 0)
                    {
                        count++;
                    }
                }
                return count;
            }
        }

        /// <summary>Number of TS pins used as thermistors.</summary>
        public int ThermistorCount
        {
            get { return (Ts1Thermistor ? 1 : 0) + (Ts2Thermistor ? 1 : 0) + (Ts3Thermistor ? 1 : 0); }
        }

        /// <summary>Bottom cellCount - 1 inputs plus input 16 (all 16 when cellCount is 16).</summary>
        public static int DefaultCellInputMask(int cellCount)
        {
            if (cellCount >= 16)
            {
                return 0xFFFF;
            }
            return ((1 << (cellCount - 1)) - 1) | 0x8000;
        }

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
        public void Validate()
        {
            if ((CellInputMask & ~0xFFFF) != 0 || CellCount < 3)
            {
                throw new ArgumentException("CellInputMask must select 3 to 16 of the 16 cell inputs");
            }
            if (SenseResistor_uOhm < 50 || SenseResistor_uOhm > 100000)
            {
                throw new ArgumentException("SenseResistor_uOhm must be 50..100000");
            }
            if (CurrentLsb_mA != 1 && CurrentLsb_mA != 10)
            {
                throw new ArgumentException("CurrentLsb_mA must be 1 or 10");
            }
            if (CellOverVoltage_mV < 1012 || CellOverVoltage_mV > 5566)
            {
                throw new ArgumentException("CellOverVoltage_mV must be 1012..5566");
            }
            if (CellUnderVoltage_mV < 51 || CellUnderVoltage_mV > 4554 || CellUnderVoltage_mV >= CellOverVoltage_mV)
            {
                throw new ArgumentException("CellUnderVoltage_mV must be 51..4554 and below CellOverVoltage_mV");
            }
            if (OverCurrentCharge_mA <= 0 || OverCurrentDischarge_mA <= 0)
            {
                throw new ArgumentException("OverCurrentCharge_mA and OverCurrentDischarge_mA must be positive");
            }
            if (ShortCircuitSense_mV < 10 || ShortCircuitSense_mV > 500)
            {
                throw new ArgumentException("ShortCircuitSense_mV must be 10..500");
            }
            if (MaxBalancingCells < 1 || MaxBalancingCells > 16)
            {
                throw new ArgumentException("MaxBalancingCells must be 1..16");
            }
            if (MaxAttempts < 1 || MaxAttempts > 10)
            {
                throw new ArgumentException("MaxAttempts must be 1..10");
            }
            if (SubcommandPollLimit < 1 || SubcommandPollInterval_us < 0 || StaleScanLimit < 1)
            {
                throw new ArgumentException("SubcommandPollLimit and StaleScanLimit must be at least 1, SubcommandPollInterval_us not negative");
            }
            if (CellOverVoltageDelay_ms < 10 || CellOverVoltageDelay_ms > 6700 || CellUnderVoltageDelay_ms < 10 || CellUnderVoltageDelay_ms > 6700)
            {
                throw new ArgumentException("CellOverVoltageDelay_ms and CellUnderVoltageDelay_ms must be 10..6700");
            }
        }
    }
}
