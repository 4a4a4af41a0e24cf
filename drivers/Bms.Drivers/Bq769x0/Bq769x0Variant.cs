namespace Bms.Drivers.Bq769x0
{
    /// <summary>Family member; the value is the number of cell inputs (groups of five).</summary>
    public enum Bq769x0Variant
    {
        /// <summary>3..5 cells, one thermistor input.</summary>
        Bq76920 = 5,
        /// <summary>6..10 cells, two thermistor inputs.</summary>
        Bq76930 = 10,
        /// <summary>9..15 cells, three thermistor inputs.</summary>
        Bq76940 = 15,
    }
}
