"""Counter export files written for the tests, in each instrument's layout (our own files,
not vendors'): headers as the instruments name them, values as they write them."""

from __future__ import annotations

NC202_HEADER = ("NAME,SAMPLE ID,TAGS,PROTOCOL,OPERATOR,INSTRUMENT,STATUS,DATE TIME,"
                "TOTAL (cells/ml),LIVE (cells/ml),DEAD (cells/ml),VIABILITY (%),DIAMETER (µm),"
                "AGGREGATES (%),DEBRIS INDEX,DILUTION FACTOR")
BLU_HEADER = ("Sample ID,Cell count,Viable cells,Total (x10^6) cells/mL,"
              "Viable (x10^6) cells/mL,Viability (%),Average diameter ({micro}m),"
              "Analysis date/time,Reanalysis date/time,Analysis by,Reanalysis by,Dilution")
XR_HEADER = ("Sample ID\tSample date/time\tTotal cells/ml (x10^6)\tViable cells/ml (x10^6)\t"
             "Viability (%)\tAvg. diam. (microns)\tDilution factor\tOperator")


def nc202(*rows: dict) -> bytes:
    """An NC-View CSV export; each row: sample, when, total, live, dead, viability, status."""
    lines = [NC202_HEADER]
    for index, row in enumerate(rows, 1):
        lines.append(",".join([
            f"Count {index}", row["sample"], "", "Viability and Cell Count - A100 and A200",
            row.get("operator", "lucia"), row.get("instrument", "NC-202 9002012345"),
            row.get("status", "OK"), row["when"], f'"{row["total"]}"', f'"{row["live"]}"',
            f'"{row["dead"]}"', row["viability"], "16.2", "3", "2.1",
            row.get("dilution", "1")]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def nc200(sample: str, when: str, live: str, dead: str, total: str, viability: str,
          offset: str = "+01:00") -> bytes:
    """A NucleoView result export: key;value lines."""
    lines = ["NucleoView NC-200 result", f"Sample ID;{sample}", f"Date time;{when}",
             f"Time zone offset;{offset}", "Operator;pablo", "Instrument s/n;NC200-77001",
             "Protocol;Viability and Cell Count - A100 and A200", "Multiplication factor;2",
             f"Viability (%);{viability}", f"Live (cells/ml);{live}",
             f"Dead (cells/ml);{dead}", f"Total (cells/ml);{total}",
             "Estimated cell diameter [um];15.8"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def vicell_blu(*rows: dict, micro: str = "μ", encoding: str = "utf-16") -> bytes:
    """A Vi-CELL BLU CSV export (UTF-16 with its byte-order mark unless told otherwise);
    each row: sample, when, total, viable (x10^6/mL), viability, reanalysed (a time)."""
    lines = ["Vi-CELL BLU results export", "Instrument serial number,VCB-2041",
             BLU_HEADER.format(micro=micro)]
    for row in rows:
        lines.append(",".join([
            row["sample"], "1850", "1772", row["total"], row["viable"], row["viability"],
            "14.9", row["when"], row.get("reanalysed", ""), row.get("by", "marta"),
            "marta" if row.get("reanalysed") else "", row.get("dilution", "1")]))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def vicell_xr(*rows: dict, encoding: str = "cp1252") -> bytes:
    """A Vi-CELL XR results table (tab-separated, the Windows code page)."""
    lines = [XR_HEADER]
    for row in rows:
        lines.append("\t".join([row["sample"], row["when"], row["total"], row["viable"],
                                row["viability"], "15.1", row.get("dilution", "1"),
                                row.get("operator", "jorge")]))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
