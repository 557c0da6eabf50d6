"""Demo content in Spanish (es-AR): listings a Chubut neighbour would actually post."""

from __future__ import annotations

CITIES = [
    "Rawson",
    "Trelew",
    "Puerto Madryn",
    "Comodoro Rivadavia",
    "Esquel",
    "Gaiman",
    "Dolavon",
    "Rada Tilly",
    "Sarmiento",
    "Trevelin",
    "Playa Unión",
    "Lago Puelo",
    "28 de Julio",
]

# category slug -> [(title, description, min price, max price, tags)]
SERVICES: dict[str, list[tuple[str, str, int, int, list[str]]]] = {
    "oficios-y-reparaciones": [
        (
            "Plomero matriculado: pérdidas, destapaciones y termotanques",
            "Soy plomero matriculado con años de experiencia en {city}. Reparo pérdidas de agua, "
            "destapo cañerías, instalo y reparo termotanques y calefones. Presupuesto sin cargo.",
            8000,
            45000,
            ["plomero", "plomería", "destapaciones", "termotanque"],
        ),
        (
            "Electricista a domicilio, instalaciones y tableros",
            "Electricista habilitado para instalaciones domiciliarias y comerciales en {city}. "
            "Cambio de tableros, disyuntores, tomas y cableado nuevo con materiales certificados.",
            10000,
            80000,
            ["electricista", "electricidad", "tableros", "instalaciones"],
        ),
        (
            "Gasista matriculado: estufas, calefactores y pruebas de hermeticidad",
            "Gasista matriculado para conexiones, reparación de estufas y calefactores, pruebas "
            "de hermeticidad y planos para la distribuidora. Trabajo en {city} y alrededores.",
            12000,
            90000,
            ["gasista", "gas", "calefactores", "estufas"],
        ),
        (
            "Carpintero: muebles a medida y reparaciones",
            "Carpintería en {city}: muebles a medida, placares, bajo mesadas, puertas y ventanas. "
            "También reparaciones y colocación de aberturas con terminación prolija.",
            15000,
            300000,
            ["carpintero", "muebles", "placares", "aberturas"],
        ),
        (
            "Pintor de interiores y exteriores, trabajos prolijos",
            "Pintura de casas, departamentos y locales en {city}. Preparo superficies, enduido, "
            "látex y esmalte sintético. Cuido los muebles y dejo todo limpio al terminar.",
            20000,
            400000,
            ["pintor", "pintura", "interiores", "exteriores"],
        ),
        (
            "Albañil: ampliaciones, revoques y contrapisos",
            "Albañil con experiencia en obras chicas y ampliaciones en {city}. Revoques, "
            "contrapisos, colocación de cerámicos y arreglos de humedad en paredes.",
            25000,
            900000,
            ["albañil", "construcción", "revoques", "cerámicos"],
        ),
        (
            "Cerrajero 24 horas: aperturas y cambio de cerraduras",
            "Cerrajería de urgencia en {city}, las 24 horas. Aperturas de puertas y autos, cambio "
            "de combinación, cerraduras de seguridad y copias de llaves.",
            6000,
            40000,
            ["cerrajero", "cerraduras", "urgencias", "llaves"],
        ),
        (
            "Técnico en refrigeración: instalación de aire acondicionado",
            "Instalo y reparo equipos de aire acondicionado split, heladeras y freezers en {city}. "
            "Carga de gas, limpieza de equipos y mantenimiento preventivo.",
            15000,
            120000,
            ["aire acondicionado", "refrigeración", "heladeras", "split"],
        ),
    ],
    "limpieza": [
        (
            "Limpieza profunda de casas y departamentos",
            "Servicio de limpieza profunda en {city}: cocinas, baños, vidrios y pisos. Llevamos "
            "nuestros productos y trabajamos con puntualidad y total confianza.",
            9000,
            40000,
            ["limpieza", "hogar", "casas", "departamentos"],
        ),
        (
            "Limpieza de oficinas y locales comerciales",
            "Limpieza periódica de oficinas y comercios en {city}, en horario a convenir. "
            "Personal con experiencia, seguro y referencias comprobables.",
            15000,
            120000,
            ["limpieza", "oficinas", "comercios"],
        ),
        (
            "Lavado de alfombras y tapizados a domicilio",
            "Lavamos alfombras, sillones y colchones a domicilio en {city} con máquinas de "
            "inyección y extracción. Secado rápido y sin olores.",
            8000,
            60000,
            ["alfombras", "tapizados", "sillones", "limpieza"],
        ),
    ],
    "tecnologia-e-informatica": [
        (
            "Reparación de PC y notebooks a domicilio",
            "Reparo computadoras y notebooks en {city}: formateo, limpieza, cambio de discos por "
            "SSD, ampliación de memoria y eliminación de virus. Retiro y entrega sin cargo.",
            7000,
            50000,
            ["computadoras", "notebooks", "reparación", "soporte"],
        ),
        (
            "Instalación de redes WiFi y cámaras de seguridad",
            "Mejoro la señal WiFi de tu casa o comercio en {city}, instalo repetidores, redes "
            "mesh y cámaras de seguridad con visualización desde el celular.",
            15000,
            150000,
            ["wifi", "redes", "cámaras", "seguridad"],
        ),
        (
            "Desarrollo de páginas web para emprendedores",
            "Diseño y desarrollo de sitios web rápidos y adaptados a celulares para comercios y "
            "emprendedores de {city}. Incluye dominio, hosting y capacitación.",
            60000,
            600000,
            ["páginas web", "desarrollo", "diseño web", "tienda online"],
        ),
    ],
    "transporte-y-mudanzas": [
        (
            "Mudanzas y fletes en toda la provincia",
            "Realizo mudanzas y fletes desde {city} a toda la provincia del Chubut. Camión "
            "cerrado, embalaje y personal para carga y descarga.",
            20000,
            500000,
            ["mudanzas", "fletes", "camión", "traslados"],
        ),
        (
            "Fletes chicos y envíos en el día",
            "Fletes chicos en {city}: electrodomésticos, muebles y compras. Respuesta rápida "
            "y precios justos, con camioneta propia.",
            6000,
            40000,
            ["fletes", "envíos", "camioneta"],
        ),
    ],
    "servicios-generales": [
        (
            "Jardinería y mantenimiento de parques",
            "Corte de césped, poda, desmalezado y mantenimiento de jardines en {city}. "
            "Abonos mensuales para casas y consorcios.",
            8000,
            80000,
            ["jardinería", "césped", "poda", "parques"],
        ),
        (
            "Fumigación y control de plagas",
            "Fumigaciones habilitadas en {city} contra cucarachas, roedores y arañas. Productos "
            "aprobados, seguros para chicos y mascotas. Certificado para comercios.",
            12000,
            90000,
            ["fumigación", "plagas", "control de plagas"],
        ),
        (
            "Cuidado de adultos mayores por hora",
            "Acompañamiento y cuidado de adultos mayores en {city}, por hora o por turnos. "
            "Experiencia y referencias, con formación en primeros auxilios.",
            3000,
            30000,
            ["cuidado", "adultos mayores", "acompañante"],
        ),
    ],
    "educacion": [
        (
            "Clases de apoyo escolar de matemática y física",
            "Doy clases particulares de matemática y física para secundaria y nivel "
            "universitario en {city} u online. Preparación de exámenes y trabajos prácticos.",
            4000,
            20000,
            ["clases", "matemática", "física", "apoyo escolar"],
        ),
        (
            "Clases de inglés para chicos y adultos",
            "Profesora de inglés recibida. Clases individuales o grupales en {city} y online, "
            "conversación, gramática y preparación de exámenes internacionales.",
            5000,
            25000,
            ["inglés", "idiomas", "clases"],
        ),
    ],
    "belleza": [
        (
            "Peluquería a domicilio: cortes, color y peinados",
            "Peluquera a domicilio en {city}. Cortes para damas, caballeros y niños, coloración, "
            "mechas y peinados para eventos.",
            5000,
            50000,
            ["peluquería", "cortes", "color", "peinados"],
        ),
        (
            "Manicura y esmaltado semipermanente",
            "Manicura, esmaltado semipermanente y uñas esculpidas en {city}. Materiales "
            "esterilizados y turnos con puntualidad.",
            4000,
            20000,
            ["manicura", "uñas", "semipermanente"],
        ),
    ],
    "gastronomia": [
        (
            "Catering para eventos y reuniones",
            "Catering para cumpleaños, casamientos y eventos empresariales en {city}. Lunch, "
            "finger food y mesa dulce con productos regionales.",
            30000,
            900000,
            ["catering", "eventos", "lunch"],
        ),
        (
            "Torta galesa y pastelería regional por encargo",
            "Elaboro torta galesa, alfajores y pastelería regional en {city}, con la receta "
            "de la familia. Pedidos para casas de té y eventos.",
            5000,
            80000,
            ["torta galesa", "pastelería", "regional"],
        ),
    ],
    "diseno-y-arte-digital": [
        (
            "Diseño de logos e identidad para emprendimientos",
            "Diseño de logos, paletas de color y piezas para redes para emprendimientos de "
            "{city}. Entrego archivos listos para imprimir y publicar.",
            20000,
            150000,
            ["logo", "diseño gráfico", "identidad"],
        ),
    ],
    "marketing": [
        (
            "Manejo de redes sociales para comercios",
            "Gestiono Instagram y Facebook de comercios de {city}: contenido, publicaciones, "
            "campañas pagas e informes mensuales de resultados.",
            40000,
            250000,
            ["redes sociales", "instagram", "marketing"],
        ),
    ],
    "moda-y-costura": [
        (
            "Arreglos de ropa y confección a medida",
            "Costurera en {city}: ruedos, cierres, ajustes y confección de prendas a medida. "
            "Entregas rápidas y trabajo prolijo.",
            2000,
            60000,
            ["costura", "arreglos", "confección"],
        ),
    ],
    "mascotas": [
        (
            "Paseo y cuidado de perros",
            "Paseo perros en grupos reducidos en {city} y los cuido en tu casa cuando viajás. "
            "Amo los animales y envío fotos durante el paseo.",
            2500,
            20000,
            ["perros", "paseador", "mascotas"],
        ),
    ],
    "eventos": [
        (
            "DJ y sonido para fiestas y casamientos",
            "Servicio de DJ con sonido e iluminación profesional para fiestas en {city}. "
            "Música para todas las edades y pista con efectos.",
            60000,
            600000,
            ["dj", "sonido", "fiestas", "casamientos"],
        ),
    ],
    "consultoria": [
        (
            "Contador público: monotributo y liquidaciones",
            "Contador público matriculado en {city}. Altas y recategorizaciones de monotributo, "
            "ingresos brutos, sueldos y balances para pymes.",
            10000,
            150000,
            ["contador", "monotributo", "impuestos"],
        ),
    ],
}

FIRST_NAMES = [
    "Martín",
    "Lucía",
    "Sofía",
    "Juan",
    "Valentina",
    "Mateo",
    "Camila",
    "Diego",
    "Florencia",
    "Gonzalo",
    "Agustina",
    "Nicolás",
    "Micaela",
    "Facundo",
    "Carolina",
    "Ezequiel",
    "Julieta",
    "Tomás",
    "Rocío",
    "Santiago",
    "Gwen",
    "Evan",
    "Eluned",
    "Rhys",
    "Natalia",
    "Pablo",
]
LAST_NAMES = [
    "González",
    "Rodríguez",
    "Fernández",
    "López",
    "Martínez",
    "Pérez",
    "Gómez",
    "Díaz",
    "Sánchez",
    "Romero",
    "Jones",
    "Williams",
    "Davies",
    "Hughes",
    "Roberts",
    "Sosa",
    "Álvarez",
    "Torres",
    "Ruiz",
    "Castro",
    "Morgan",
    "Evans",
    "Ibáñez",
    "Quiroga",
]
