namespace Bms.Drivers.Ltc681x
{
    /// <summary>The members of the ADI isoSPI battery-stack monitor family this driver speaks to.</summary>
    public enum Ltc681xVariant
    {
        /// <summary>LTC6811-1: 12 cell inputs (groups A–D), GPIO1–5, configuration group A only.</summary>
        Ltc6811 = 0,
        /// <summary>LTC6812-1: 15 cell inputs (groups A–E), GPIO1–9, configuration groups A and B.</summary>
        Ltc6812 = 1,
        /// <summary>LTC6813-1: 18 cell inputs (groups A–F), GPIO1–9, configuration groups A and B.</summary>
        Ltc6813 = 2,
        /// <summary>ADBMS1818: register- and command-compatible with the LTC6813-1.</summary>
        Adbms1818 = 3,
    }

    /// <summary>Per-variant facts the driver, the emulator and the bus budget share.</summary>
    public static class Ltc681xVariantInfo
    {
        /// <summary>Number of cell inputs (C1..Cn) of one device.</summary>
        public static int CellInputs(Ltc681xVariant variant)
        {
            if (variant == Ltc681xVariant.Ltc6811)
            {
                return 12;
            }
            return variant == Ltc681xVariant.Ltc6812 ? 15 : 18;
        }

        /// <summary>Number of GPIO pins (usable as thermistor inputs) of one device.</summary>
        public static int GpioCount(Ltc681xVariant variant)
        {
            return variant == Ltc681xVariant.Ltc6811 ? 5 : 9;
        }

        /// <summary>true when the device has configuration register group B (DCC13..18, GPIO6..9).</summary>
        public static bool HasConfigurationB(Ltc681xVariant variant)
        {
            return variant != Ltc681xVariant.Ltc6811;
        }

        /// <summary>Number of cell voltage register groups (three cells each).</summary>
        public static int CellGroupCount(Ltc681xVariant variant)
        {
            return CellInputs(variant) / 3;
        }

        /// <summary>Number of auxiliary register groups (A: GPIO1–3, B: GPIO4–5 + 2nd reference, C: GPIO6–8, D: GPIO9).</summary>
        public static int AuxGroupCount(Ltc681xVariant variant)
        {
            return variant == Ltc681xVariant.Ltc6811 ? 2 : 4;
        }

        /// <summary>
        /// Time the driver waits after ADCV/ADOW (all cells, 7 kHz normal mode, reference already on). The
        /// LTC6811 table gives 2335 µs; the 15/18-cell parts are given more margin.
        /// </summary>
        public static int CellConversionWait_us(Ltc681xVariant variant)
        {
            return variant == Ltc681xVariant.Ltc6811 ? 2400 : 3100;
        }

        /// <summary>Time the driver waits after ADAX (all GPIOs and the 2nd reference, 7 kHz normal mode).</summary>
        public static int AuxConversionWait_us(Ltc681xVariant variant)
        {
            return variant == Ltc681xVariant.Ltc6811 ? 2400 : 3900;
        }

        /// <summary>
        /// Aux register group (0 = A) holding GPIO <paramref name="gpio"/> (1-based); the word index within the
        /// group is returned through <paramref name="word"/>.
        /// </summary>
        public static int AuxGroupOfGpio(int gpio, out int word)
        {
            if (gpio <= 3)
            {
                word = gpio - 1;
                return 0;
            }
            if (gpio <= 5)
            {
                word = gpio - 4;
                return 1;
            }
            if (gpio <= 8)
            {
                word = gpio - 6;
                return 2;
            }
            word = 0;
            return 3;
        }
    }
}
