using System;

namespace Bms.Drivers.Bq769x0
{
    /// <summary>
    /// The datasheet's integer conversions between BQ769x0 register contents and engineering units, plus the
    /// recommended cell-input connection for fewer cells than inputs. Pure functions, no allocation (except
    /// <see cref="DefaultCellInputs"/>, called once at construction).
    /// </summary>
    public static class Bq769x0Conversions
    {
        /// <summary>Voltage ADC gain in µV per LSB from the factory trim registers (365..396).</summary>
        public static int GainFromTrim(int adcGain1, int adcGain2)
        {
            return 365 + (((adcGain1 & 0x0C) << 1) | ((adcGain2 & 0xE0) >> 5));
        }

        /// <summary>Voltage ADC offset in mV from the ADCOFFSET register (signed byte).</summary>
        public static int OffsetFromTrim(int adcOffset)
        {
            return (sbyte)(byte)adcOffset;
        }

        /// <summary>Cell voltage in µV: raw14 · GAIN + OFFSET.</summary>
        public static long CellVoltage_uV(int raw14, int gain_uV, int offset_mV)
        {
            return (long)(raw14 & Bq769x0Registers.AdcMaxCode) * gain_uV + offset_mV * 1000L;
        }

        /// <summary>Cell voltage in mV, rounded to the nearest millivolt.</summary>
        public static int CellVoltage_mV(int raw14, int gain_uV, int offset_mV)
        {
            return (int)RoundDivide(CellVoltage_uV(raw14, gain_uV, offset_mV), 1000);
        }

        /// <summary>Stack voltage in µV: 4 · GAIN · raw16 + cells · OFFSET.</summary>
        public static long StackVoltage_uV(int raw16, int gain_uV, int offset_mV, int cellCount)
        {
            return 4L * gain_uV * (raw16 & 0xFFFF) + cellCount * offset_mV * 1000L;
        }

        /// <summary>
        /// Stack voltage in mV, rounded to the nearest millivolt. The datasheet example (gain 377, offset 48,
        /// raw 0x922B, 14 cells) is 57 099 852 µV, so 57 100 mV.
        /// </summary>
        public static int StackVoltage_mV(int raw16, int gain_uV, int offset_mV, int cellCount)
        {
            return (int)RoundDivide(StackVoltage_uV(raw16, gain_uV, offset_mV, cellCount), 1000);
        }

        /// <summary>
        /// Current in mA from the signed coulomb-counter code: 8.44 µV per LSB across a shunt of
        /// <paramref name="shunt_uOhm"/>. nV / µΩ = mA. Positive = charging.
        /// </summary>
        public static int Current_mA(int ccRaw16, int shunt_uOhm)
        {
            long sense_nV = (long)(short)(ushort)ccRaw16 * Bq769x0Registers.CcLsb_nV;
            return (int)RoundDivide(sense_nV, shunt_uOhm);
        }

        /// <summary>Voltage on a TSx pin in µV (382 µV per LSB).</summary>
        public static int ThermistorVoltage_uV(int raw14)
        {
            return (raw14 & Bq769x0Registers.AdcMaxCode) * Bq769x0Registers.TsLsb_uV;
        }

        /// <summary>
        /// OV_TRIP register for a threshold: the chip compares against the 14-bit code 10-RRRRRRRR-1000, so the
        /// register is bits 11..4 of (threshold − OFFSET) / GAIN. Rounded so the effective threshold is the
        /// highest one not above the request (trips no later than asked); clamped to the register's range.
        /// </summary>
        public static int OverVoltageTripRegister(int threshold_mV, int gain_uV, int offset_mV)
        {
            long code = FloorDivide(threshold_mV * 1000L - offset_mV * 1000L, gain_uV);
            long register = FloorDivide(code - 0x2008, 16);
            return (int)Clamp(register, 0, 255);
        }

        /// <summary>14-bit code the chip compares cells against for a given OV_TRIP value.</summary>
        public static int OverVoltageTripCode(int ovTripRegister)
        {
            return 0x2008 | ((ovTripRegister & 0xFF) << 4);
        }

        /// <summary>
        /// UV_TRIP register for a threshold: code 01-RRRRRRRR-0000, rounded so the effective threshold is the
        /// lowest one not below the request (trips no later than asked); clamped to the register's range.
        /// </summary>
        public static int UnderVoltageTripRegister(int threshold_mV, int gain_uV, int offset_mV)
        {
            long code = CeilingDivide(threshold_mV * 1000L - offset_mV * 1000L, gain_uV);
            long register = CeilingDivide(code - 0x1000, 16);
            return (int)Clamp(register, 0, 255);
        }

        /// <summary>14-bit code the chip compares cells against for a given UV_TRIP value.</summary>
        public static int UnderVoltageTripCode(int uvTripRegister)
        {
            return 0x1000 | ((uvTripRegister & 0xFF) << 4);
        }

        /// <summary>
        /// The datasheet's recommended connection when fewer cells than inputs are used: cells are spread over
        /// the groups of five as evenly as possible (lower groups take the remainder), each group needs 3..5 cells,
        /// and inside a group 5 cells use VC1..VC5, 4 cells VC1, VC2, VC3, VC5 and 3 cells VC1, VC2, VC5 (the top
        /// input of a group is always used). Returns, for each cell (index 0 = cell 1), its input index 0..14.
        /// </summary>
        public static int[] DefaultCellInputs(Bq769x0Variant variant, int cellCount)
        {
            int groups = (int)variant / 5;
            if (cellCount < 3 * groups || cellCount > 5 * groups)
            {
                throw new ArgumentException("cell count out of range for this variant (3..5 cells per group of five inputs)");
            }
            var inputs = new int[cellCount];
            int cell = 0;
            for (int group = 0; group < groups; group++)
            {
                int inGroup = cellCount / groups + (group < cellCount % groups ? 1 : 0);
                for (int k = 0; k < inGroup; k++)
                {
                    // the last cell of a short group sits on the group's top input
                    int position = (k == inGroup - 1) ? 4 : k;
                    inputs[cell++] = group * 5 + position;
                }
            }
            return inputs;
        }

        private static long RoundDivide(long numerator, long denominator)
        {
            return numerator >= 0 ? (numerator + denominator / 2) / denominator : -((-numerator + denominator / 2) / denominator);
        }

        private static long FloorDivide(long numerator, long denominator)
        {
            long quotient = numerator / denominator;
            if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0)))
            {
                quotient--;
            }
            return quotient;
        }

        private static long CeilingDivide(long numerator, long denominator)
        {
            return -FloorDivide(-numerator, denominator);
        }

        private static long Clamp(long value, long min, long max)
        {
            return value < min ? min : (value > max ? max : value);
        }
    }
}
